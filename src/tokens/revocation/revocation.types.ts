import type { Revocation } from '@gatehouse/verifier/core';

// The shape is shared with resource servers: it lives with the revocation cache in the verifier package.
export type { Revocation };

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
  | 'session_deleted'
  | 'anomaly';

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
