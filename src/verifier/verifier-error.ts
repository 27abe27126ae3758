import { ERROR_CODES } from '../common/error-codes.js';

/**
 * The error codes a resource server answers with: the same codes and statuses as Gatehouse's
 * own API (API.md "Error codes"), so clients handle both alike.
 */
export const VERIFIER_ERRORS = {
  invalid_token: ERROR_CODES.invalid_token,
  token_expired: ERROR_CODES.token_expired,
  token_revoked: ERROR_CODES.token_revoked,
  forbidden: ERROR_CODES.forbidden,
  /** JWKS unreachable, or the revocation feed is down and the policy says reject. */
  service_unavailable: ERROR_CODES.service_unavailable,
} as const;

export type VerifierErrorCode = keyof typeof VERIFIER_ERRORS;

export interface VerifierErrorBody {
  statusCode: number;
  code: VerifierErrorCode;
  message: string;
}

export class VerifierError extends Error {
  override name = 'VerifierError';
  readonly status: number;

  constructor(
    readonly code: VerifierErrorCode,
    message: string = VERIFIER_ERRORS[code].message,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = VERIFIER_ERRORS[code].status;
  }

  /** The API.md error body; `message` is safe to show (no internals). */
  toBody(): VerifierErrorBody {
    return { statusCode: this.status, code: this.code, message: this.message };
  }
}
