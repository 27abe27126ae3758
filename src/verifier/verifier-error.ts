/**
 * The error codes a resource server answers with: the same codes and statuses as Gatehouse's
 * own API (API.md "Error codes"), so clients handle both alike.
 */
export const VERIFIER_ERRORS = {
  invalid_token: { status: 401, message: 'The access token is missing or invalid.' },
  token_expired: { status: 401, message: 'The access token has expired.' },
  token_revoked: { status: 401, message: 'The access token has been revoked.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  /** JWKS unreachable, or the revocation feed is down and the policy says reject. */
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable; retry later.' },
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
