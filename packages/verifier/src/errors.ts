/**
 * The error codes an access-token check answers with, shared by Gatehouse's own API and every
 * resource server using this package (API.md "Error codes"), so clients handle both alike.
 * Gatehouse's error catalog takes these entries from here.
 */
export const TOKEN_ERRORS = {
  invalid_token: { status: 401, message: 'The access token is missing or invalid.' },
  token_expired: { status: 401, message: 'The access token has expired.' },
  token_revoked: { status: 401, message: 'The access token has been revoked.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  /** JWKS unreachable, or the revocation feed is down and the policy says reject. */
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable; retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type VerifierErrorCode = keyof typeof TOKEN_ERRORS;

export interface VerifierErrorBody {
  statusCode: number;
  code: VerifierErrorCode;
  message: string;
}

/**
 * A refused token. Shaped like an `http-errors` error (`status` = `statusCode`, `expose`), so
 * frameworks that know that shape (Express's final handler, NestJS's base exception filter)
 * answer its status and message even when it escapes an adapter.
 */
export class VerifierError extends Error {
  override name = 'VerifierError';
  readonly status: number;
  readonly statusCode: number;
  /** The message is safe to show: it never carries internals. */
  readonly expose = true;

  constructor(
    readonly code: VerifierErrorCode,
    message: string = TOKEN_ERRORS[code].message,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = TOKEN_ERRORS[code].status;
    this.statusCode = this.status;
  }

  /** The API.md error body. */
  toBody(): VerifierErrorBody {
    return { statusCode: this.status, code: this.code, message: this.message };
  }
}

/**
 * RFC 6750 3 challenge for a refused request: `error="invalid_token"` for a bad, expired or
 * revoked token, `insufficient_scope` for a role that may not, none when no token was sent
 * (RFC 6750 3.1: then no error code). Undefined for statuses without a challenge (503).
 */
export function bearerChallenge(error: VerifierError, tokenPresented = true, realm?: string): string | undefined {
  const params: string[] = realm ? [`realm="${realm}"`] : [];
  if (error.status === 401) {
    if (tokenPresented) params.push('error="invalid_token"', `error_description="${quote(error.message)}"`);
  } else if (error.status === 403) {
    params.push('error="insufficient_scope"', `error_description="${quote(error.message)}"`);
  } else {
    return undefined;
  }
  return params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
}

/** RFC 6750 3: error_description is %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash. */
function quote(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
