/**
 * What the UI says for each error code of API.md (and each reason a session ends). Plain
 * sentences telling the user what happened and what to do; web-messages.spec.ts checks that
 * every code in the server's catalog has one.
 */
export const ERROR_MESSAGES: Record<string, string> = {
  validation_failed: 'Some fields need attention: see the messages below them.',
  invalid_credentials: 'Email or password is incorrect.',
  invalid_token: 'Your sign-in is no longer valid. Please sign in again.',
  token_expired: 'Your sign-in has expired. Please sign in again.',
  token_revoked: 'Your session was revoked. Please sign in again.',
  invalid_refresh_token: 'Your session has expired. Please sign in again.',
  refresh_token_reused:
    'Your session was ended for safety: its sign-in token was used twice, which can mean it was stolen. Sign in again, and change your password if this was not you.',
  session_revoked: 'Your session was ended: it was signed out from another device or by an administrator.',
  invalid_client: 'The client credentials were refused.',
  account_suspended: 'This account is suspended. Contact an administrator if you think this is a mistake.',
  forbidden: 'You are not allowed to do this.',
  csrf_rejected: 'The request was refused because it did not come from this site. Reload the page and try again.',
  not_found: 'Not found: it may have been deleted or ended already.',
  method_not_allowed: 'This action is not supported.',
  email_taken: 'An account with this email already exists. Sign in, or reset its password.',
  last_admin: 'This is the last active administrator: make someone else an administrator first.',
  payload_too_large: 'That is too much text to send.',
  unsupported_media_type: 'The request was sent in a format the server does not accept.',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  internal_error: 'Something went wrong on the server. Please try again.',
  service_unavailable: 'Gatehouse is temporarily unavailable. Please try again in a moment.',
  invalid_reset_token: 'This password reset link is invalid, expired or already used. Request a new one.',
  invalid_verification_token: 'This verification link is invalid, expired or already used. Request a new one from your account page.',
  email_not_verified: 'Please verify your email address first: follow the link we mailed you.',
  account_locked: 'This account is locked after too many failed sign-in attempts. Wait for the lock to lift, or reset your password.',
  resync_required: 'The revocation feed must be read again from the start: reconnect without Last-Event-ID.',
  headers_too_large: 'The request headers are too large. Clearing this site’s cookies may help.',
  request_timeout: 'The request took too long to arrive. Check your connection and try again.',
  network_error: 'Gatehouse could not be reached. Check your connection and try again.',
};

/** Shown on the sign-in page after a session ended, by the client's reason. */
export const SESSION_END_MESSAGES: Record<string, string> = {
  logged_out: 'You are signed out.',
  token_revoked: ERROR_MESSAGES.token_revoked,
  session_revoked: ERROR_MESSAGES.session_revoked,
  refresh_token_reused: ERROR_MESSAGES.refresh_token_reused,
  account_suspended: 'Your account was suspended, so you were signed out.',
  invalid_refresh_token: ERROR_MESSAGES.invalid_refresh_token,
};

/** What each anomaly type of API.md "Anomalies" means, for the admin console and the user's own events. */
export const ANOMALY_LABELS: Record<string, string> = {
  refresh_token_reuse: 'Sign-in token used twice (possible theft)',
  repeated_forbidden: 'Repeated refused requests',
  failed_logins: 'Many failed sign-ins',
  new_network: 'Sign-in from a new network',
  session_network_change: 'Session moved to another network',
  reported: 'Reported by an application',
};

export const anomalyLabel = (type: string) => ANOMALY_LABELS[type] ?? type.replaceAll('_', ' ');

/** `text`, and for a refusal with Retry-After when to try again: "in 2 minutes (at 10:15)". */
export function errorMessage(code: string, retryAfter?: number, fallback?: string, now = Date.now()): string {
  const text = ERROR_MESSAGES[code] ?? fallback ?? 'Something went wrong. Please try again.';
  if (!retryAfter || (code !== 'rate_limited' && code !== 'account_locked')) return text;
  const minutes = Math.ceil(retryAfter / 60);
  const wait = retryAfter >= 90 ? `${minutes} minutes` : retryAfter === 1 ? '1 second' : `${retryAfter} seconds`;
  const at = new Date(now + retryAfter * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: retryAfter < 90 ? '2-digit' : undefined });
  return `${text} You can try again in ${wait} (at ${at}).`;
}
