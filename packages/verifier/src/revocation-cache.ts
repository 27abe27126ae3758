import { UuidExpiryTable } from './uuid-expiry-table.js';

/**
 * One revocation, as Gatehouse stores it in `revocation_events`, pushes it over its bus and
 * serves it on the SSE feed. Exactly one of sid / sub / kid is set.
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

export interface RevocationCheck {
  sid: string;
  sub: string;
  kid: string;
  /** When the session was authenticated, ms since epoch (the token's `auth_time`). */
  authTimeMs: number;
}

interface UserEntry {
  notBefore: number;
  exceptSid?: string;
  forgetAt: number;
}

/**
 * The per-instance revocation list (DESIGN.md "The hot path", step 3): O(1) lookups, no I/O.
 * Revoked sessions, the entry that can number in the millions, sit in a compact table of
 * 16-byte ids with expiries in whole seconds (uuid-expiry-table.ts); user cut-offs and keys
 * in maps. An entry is forgotten once every token it could match has expired
 * (`memoryMs` = access TTL + leeway after the revocation), so memory is bounded by
 * revocations per TTL window, not by users or sessions.
 */
export class RevocationCache {
  private readonly sessions = new UuidExpiryTable();
  private readonly users = new Map<string, UserEntry>();
  private readonly keys = new Map<string, number>();

  constructor(private readonly memoryMs: number) {}

  apply(revocation: Revocation, now = Date.now()): void {
    const forgetAt = Math.max(revocation.revokedAt, revocation.notBefore ?? 0) + this.memoryMs;
    if (forgetAt <= now) return;
    if (revocation.sid) {
      // Whole seconds, rounded up: an entry may outlive forgetAt by < 1 s, never fall short of it.
      this.sessions.set(revocation.sid, forgetAt / 1000);
    } else if (revocation.kid) {
      this.keys.set(revocation.kid, Math.max(forgetAt, this.keys.get(revocation.kid) ?? 0));
    } else if (revocation.sub && revocation.notBefore !== undefined) {
      this.applyUser(revocation.sub, revocation.notBefore, revocation.exceptSid, forgetAt);
    }
  }

  private applyUser(sub: string, notBefore: number, exceptSid: string | undefined, forgetAt: number): void {
    const existing = this.users.get(sub);
    if (!existing || notBefore >= existing.notBefore) {
      // The later cut-off covers the earlier one. Its spared session was live when the later
      // change was made (it authenticated that request), so the earlier cut-off did not hit it.
      this.users.set(sub, { notBefore, exceptSid, forgetAt: Math.max(forgetAt, existing?.forgetAt ?? 0) });
      return;
    }
    // An older cut-off arriving late: keep the later one, and stop sparing a session the
    // older one did not spare (erring towards rejection).
    existing.forgetAt = Math.max(existing.forgetAt, forgetAt);
    if (existing.exceptSid && existing.exceptSid !== exceptSid) existing.exceptSid = undefined;
  }

  /** The reason a token is revoked, or undefined if it is not. */
  check(token: RevocationCheck): 'session' | 'user' | 'key' | undefined {
    if (this.sessions.has(token.sid)) return 'session';
    if (this.keys.has(token.kid)) return 'key';
    const user = this.users.get(token.sub);
    if (user && token.authTimeMs < user.notBefore && token.sid !== user.exceptSid) return 'user';
    return undefined;
  }

  /** Drops entries no live token can match any more. */
  prune(now = Date.now()): number {
    let removed = this.sessions.prune(Math.floor(now / 1000));
    for (const [kid, forgetAt] of this.keys) if (forgetAt <= now && this.keys.delete(kid)) removed++;
    for (const [sub, entry] of this.users) if (entry.forgetAt <= now && this.users.delete(sub)) removed++;
    return removed;
  }

  get size(): number {
    return this.sessions.size + this.users.size + this.keys.size;
  }
}
