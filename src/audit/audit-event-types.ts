/**
 * Every audit event type Gatehouse writes: one list, so a typo is a compile error, not a new
 * "type" nobody filters for. `GET /admin/audit?type=` filters on these names.
 */
export const AUDIT_EVENT_TYPES = [
  'user_registered',
  'admin_bootstrapped',
  'login_succeeded',
  'login_failed',
  'token_refreshed',
  'token_refresh_repeated',
  'refresh_token_reused',
  'anomaly_raised',
  'anomaly_dismissed',
  'anomaly_confirmed',
  'logout',
  'logout_all',
  'session_revoked',
  'token_revoked',
  'password_changed',
  'user_deleted',
  'role_changed',
  'user_suspended',
  'user_unsuspended',
  'sessions_revoked',
  'key_rotated',
  'key_revoked',
  'password_reset_requested',
  'password_reset',
  'email_verified',
  'email_change_requested',
  'email_changed',
  'account_locked',
  'account_unlocked',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
