import { describe, expect, it } from 'vitest';
import { RevocationCache } from './revocation-cache.js';
import type { Revocation } from './revocation-cache.js';

const MEMORY_MS = 305_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function revocation(fields: Partial<Revocation>): Revocation {
  return { id: '1', reason: 'logout', revokedAt: T0, ...fields };
}

function token(fields: Partial<{ sid: string; sub: string; kid: string; authTimeMs: number }> = {}) {
  return { sid: 'sid-a', sub: 'user-a', kid: 'kid-a', authTimeMs: T0 - 60_000, ...fields };
}

describe('RevocationCache', () => {
  it('starts empty and revokes nothing', () => {
    const sut = new RevocationCache(MEMORY_MS);
    expect(sut.check(token())).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('revokes exactly the session named by a sid entry', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sid: 'sid-a' }), T0);
    expect(sut.check(token({ sid: 'sid-a' }))).toBe('session');
    expect(sut.check(token({ sid: 'sid-b' }))).toBeUndefined();
  });

  it('revokes every token signed by a revoked kid, whatever its session', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ kid: 'kid-a', reason: 'key_revoked' }), T0);
    expect(sut.check(token({ kid: 'kid-a', sid: 'any' }))).toBe('key');
    expect(sut.check(token({ kid: 'kid-b' }))).toBeUndefined();
  });

  it('revokes a user\'s sessions authenticated before notBefore, not those authenticated at or after it', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0, reason: 'logout_all' }), T0);
    expect(sut.check(token({ authTimeMs: T0 - 1 }))).toBe('user');
    expect(sut.check(token({ authTimeMs: T0 }))).toBeUndefined();
    expect(sut.check(token({ authTimeMs: T0 + 1000 }))).toBeUndefined();
    expect(sut.check(token({ sub: 'user-b', authTimeMs: T0 - 1 }))).toBeUndefined();
  });

  it('spares the exceptSid session of a user-wide revocation (password change keeps the current one)', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0, exceptSid: 'sid-keep', reason: 'password_change' }), T0);
    expect(sut.check(token({ sid: 'sid-keep' }))).toBeUndefined();
    expect(sut.check(token({ sid: 'sid-other' }))).toBe('user');
  });

  it('keeps the later cut-off when user revocations arrive out of order, and stops sparing a session the older one did not spare', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0 + 10_000, exceptSid: 'sid-keep', revokedAt: T0 + 10_000 }), T0 + 10_000);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0, revokedAt: T0 }), T0 + 10_000);
    // The later cut-off still applies ...
    expect(sut.check(token({ sid: 'sid-x', authTimeMs: T0 + 5_000 }))).toBe('user');
    // ... and the session it spared was not spared by the older one.
    expect(sut.check(token({ sid: 'sid-keep', authTimeMs: T0 - 1 }))).toBe('user');
  });

  it('replaces an earlier user cut-off by a later one (including its exceptSid)', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0, exceptSid: 'sid-keep' }), T0);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0 + 10_000, revokedAt: T0 + 10_000 }), T0 + 10_000);
    expect(sut.check(token({ sid: 'sid-keep', authTimeMs: T0 + 5_000 }))).toBe('user');
    expect(sut.check(token({ sid: 'sid-new', authTimeMs: T0 + 10_000 }))).toBeUndefined();
  });

  it('ignores a revocation older than the memory window: every token it could match has expired', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sid: 'sid-a', revokedAt: T0 - MEMORY_MS }), T0);
    sut.apply(revocation({ kid: 'kid-a', revokedAt: T0 - MEMORY_MS - 1 }), T0);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0 - MEMORY_MS, revokedAt: T0 - MEMORY_MS }), T0);
    expect(sut.size).toBe(0);
    expect(sut.check(token())).toBeUndefined();
    // One millisecond younger and it is remembered.
    sut.apply(revocation({ sid: 'sid-a', revokedAt: T0 - MEMORY_MS + 1 }), T0);
    expect(sut.check(token())).toBe('session');
  });

  it('prune forgets entries once the memory window has passed, and keeps younger ones', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sid: 'sid-old' }), T0);
    sut.apply(revocation({ kid: 'kid-old' }), T0);
    sut.apply(revocation({ sub: 'user-old', notBefore: T0 }), T0);
    sut.apply(revocation({ sid: 'sid-young', revokedAt: T0 + 60_000 }), T0 + 60_000);
    expect(sut.size).toBe(4);

    expect(sut.prune(T0 + MEMORY_MS - 1)).toBe(0);
    expect(sut.size).toBe(4);

    expect(sut.prune(T0 + MEMORY_MS)).toBe(3);
    expect(sut.size).toBe(1);
    expect(sut.check(token({ sid: 'sid-old', kid: 'kid-old', sub: 'user-old' }))).toBeUndefined();
    expect(sut.check(token({ sid: 'sid-young' }))).toBe('session');

    expect(sut.prune(T0 + 60_000 + MEMORY_MS)).toBe(1);
    expect(sut.size).toBe(0);
  });

  it('a repeated revocation extends, never shortens, how long an entry is remembered', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sid: 'sid-a', revokedAt: T0 + 60_000 }), T0 + 60_000);
    sut.apply(revocation({ sid: 'sid-a', revokedAt: T0 }), T0 + 60_000);
    expect(sut.prune(T0 + MEMORY_MS)).toBe(0);
    expect(sut.check(token())).toBe('session');
  });

  it('remembers a user cut-off for the memory window after notBefore when notBefore is later than revokedAt', () => {
    const sut = new RevocationCache(MEMORY_MS);
    sut.apply(revocation({ sub: 'user-a', notBefore: T0 + 30_000, revokedAt: T0 }), T0);
    expect(sut.prune(T0 + MEMORY_MS)).toBe(0);
    expect(sut.prune(T0 + 30_000 + MEMORY_MS)).toBe(1);
  });

  it('revokes UUID sessions (the compact table) until the memory window passes, then forgets them', () => {
    const sut = new RevocationCache(MEMORY_MS);
    const sid = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
    sut.apply(revocation({ sid }), T0);
    expect(sut.check(token({ sid }))).toBe('session');
    expect(sut.check(token({ sid: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4c' }))).toBeUndefined();
    expect(sut.prune(T0 + MEMORY_MS - 1)).toBe(0);
    expect(sut.check(token({ sid }))).toBe('session');
    expect(sut.prune(T0 + MEMORY_MS)).toBe(1);
    expect(sut.check(token({ sid }))).toBeUndefined();
  });
});
