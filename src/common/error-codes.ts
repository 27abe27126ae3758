import { TOKEN_ERRORS } from '@gatehouse/verifier/core';

/**
 * The error catalog of API.md: every code Gatehouse answers with, its status and default message.
 * The access-token codes come from the verifier package, so resource servers answer the same.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, message: 'The request is invalid.' },
  invalid_credentials: { status: 401, message: 'Email or password is incorrect.' },
  invalid_token: TOKEN_ERRORS.invalid_token,
  token_expired: TOKEN_ERRORS.token_expired,
  token_revoked: TOKEN_ERRORS.token_revoked,
  invalid_refresh_token: { status: 401, message: 'The refresh token is invalid or expired.' },
  refresh_token_reused: {
    status: 401,
    message: 'The refresh token was already used; the session has been revoked.',
  },
  session_revoked: { status: 401, message: 'The session has been revoked.' },
  invalid_client: { status: 401, message: 'Client authentication failed.' },
  invalid_reset_token: { status: 400, message: 'The password-reset link is invalid, used, expired or superseded; ask for a new one.' },
  invalid_verification_token: { status: 400, message: 'The verification link is invalid, used, expired or superseded; ask for a new one.' },
  account_suspended: { status: 403, message: 'The account is suspended.' },
  forbidden: TOKEN_ERRORS.forbidden,
  email_not_verified: { status: 403, message: 'Verify your email address before signing in.' },
  csrf_rejected: { status: 403, message: 'The request lacks a valid CSRF proof.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  // Raised by Node's HTTP parser before Fastify has a request (issue 8 #8, #10).
  request_timeout: { status: 408, message: 'The request did not arrive in time.' },
  email_taken: { status: 409, message: 'An account with this email already exists.' },
  last_admin: { status: 409, message: 'The last active admin cannot be removed, suspended or demoted.' },
  resync_required: {
    status: 409,
    message: 'Last-Event-ID is newer than any revocation event this server has issued; reconnect without it to resync.',
  },
  account_locked: {
    status: 423,
    message: 'Too many failed password attempts; the account is locked for a while. Retry later or reset the password.',
  },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json.' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  rate_limited: { status: 429, message: 'Too many requests; retry later.' },
  internal_error: { status: 500, message: 'An unexpected error occurred.' },
  service_unavailable: TOKEN_ERRORS.service_unavailable,
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: FieldError[];
  /** RFC 6749 5.2 members, on the OAuth endpoints only (API.md "Error codes"). */
  error?: OAuthErrorCode;
  error_description?: string;
}

/**
 * RFC 6749 5.2 / RFC 6750 3.1 error values for the OAuth endpoints (/oauth/*), so OAuth client
 * libraries (openid-client, oauth4webapi) report what went wrong. `temporarily_unavailable` and
 * `server_error` are the registered values for "retry later" and "our fault" (RFC 6749 4.1.2.1).
 */
export const OAUTH_ERRORS = {
  validation_failed: 'invalid_request',
  unsupported_media_type: 'invalid_request',
  payload_too_large: 'invalid_request',
  method_not_allowed: 'invalid_request',
  not_found: 'invalid_request',
  invalid_client: 'invalid_client',
  invalid_token: 'invalid_token',
  token_expired: 'invalid_token',
  token_revoked: 'invalid_token',
  forbidden: 'insufficient_scope',
  rate_limited: 'temporarily_unavailable',
  service_unavailable: 'temporarily_unavailable',
  internal_error: 'server_error',
} as const satisfies Partial<Record<ErrorCode, string>>;

export type OAuthErrorCode = (typeof OAUTH_ERRORS)[keyof typeof OAUTH_ERRORS];

/** The OAuth error value for one of our codes; codes the OAuth endpoints never answer map to invalid_request. */
export function oauthErrorFor(code: ErrorCode): OAuthErrorCode {
  return (OAUTH_ERRORS as Partial<Record<ErrorCode, OAuthErrorCode>>)[code] ?? 'invalid_request';
}
