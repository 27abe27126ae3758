/**
 * One revocation, as stored in `revocation_events`, pushed over the bus and served on the SSE
 * feed. Exactly one of sid / sub / kid is set.
 */
export interface Revocation {
  /** RevocationEvent id: catch-up cursor, SSE event id, order of application. */
  id: string;
  sid?: string;
  sub?: string;
  /** With `sub`: tokens of sessions authenticated before this instant (ms) are revoked. */
  notBefore?: number;
  /** With `sub`: the one session spared (a password change keeps the current session). */
  exceptSid?: string;
  kid?: string;
  reason: string;
  /** ms since epoch */
  revokedAt: number;
}

export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'password_change'
  | 'password_reset'
  | 'email_change'
  | 'role_change'
  | 'suspension'
  | 'deletion'
  | 'refresh_reuse'
  | 'admin'
  | 'key_revoked'
  | 'oauth_revoke'
  | 'session_deleted';

export type NewRevocation =
  | { sid: string; userId: string; reason: RevocationReason }
  | { sub: string; notBefore: Date; exceptSid?: string; reason: RevocationReason }
  | { kid: string; reason: RevocationReason };

/** The JSON shape of a revocation on the wire (bus and SSE). */
export function toWire(revocation: Revocation): Record<string, unknown> {
  const base = { reason: revocation.reason, revokedAt: new Date(revocation.revokedAt).toISOString() };
  if (revocation.sid) return { sid: revocation.sid, ...base };
  if (revocation.kid) return { kid: revocation.kid, ...base };
  return {
    sub: revocation.sub,
    notBefore: new Date(revocation.notBefore!).toISOString(),
    ...(revocation.exceptSid ? { exceptSid: revocation.exceptSid } : {}),
    ...base,
  };
}
