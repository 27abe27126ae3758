import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RevocationService } from '../../src/tokens/revocation/revocation.service.js';
import { SigningKeysRepository } from '../../src/tokens/signing-keys.repository.js';
import { SigningKeysService } from '../../src/tokens/signing-keys.service.js';
import { createLoggedIn, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { withClient } from '../support/databases.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

describe('signing keys: rotation and revocation across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: LoggedIn;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = { REVOCATION_SYNC_INTERVAL_MS: '60000' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
    admin = await createLoggedIn(a, { role: 'admin' });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('lists keys for admins only', async () => {
    const res = await a.http.get('/admin/keys').set(admin.bearer);
    expect(res.status).toBe(200);
    expect(res.body.keys).toEqual([
      expect.objectContaining({ kid: kidOf(admin.accessToken), alg: 'ES256', status: 'active', createdAt: expect.any(String) }),
    ]);
    const user = await createLoggedIn(a);
    expect((await a.http.get('/admin/keys').set(user.bearer)).status).toBe(403);
  });

  it('rotation: new tokens use the new key on every instance, old tokens stay valid, both keys in JWKS', async () => {
    const user = await createLoggedIn(a);
    const oldKid = kidOf(user.accessToken);
    const rotated = await a.http.post('/admin/keys/rotate').set(admin.bearer);
    expect(rotated.status).toBe(201);
    const newKid: string = rotated.body.kid;
    expect(newKid).not.toBe(oldKid);

    const fresh = await loginAs(b, user);
    await eventually(async () => expect(kidOf((await loginAs(b, user)).accessToken)).toBe(newKid), 2000, 20);
    // B verifies A's new-key token, and both verify the old-key token.
    const fromA = await loginAs(a, user);
    expect(kidOf(fromA.accessToken)).toBe(newKid);
    expect((await b.http.get('/auth/session').set(fromA.bearer)).status).toBe(200);
    expect((await b.http.get('/auth/session').set(user.bearer)).status).toBe(200);
    expect((await a.http.get('/auth/session').set(fresh.bearer)).status).toBe(200);

    const keys = await a.http.get('/admin/keys').set(admin.bearer);
    // The old key, the new one, and the next one published before it signs.
    const jwks = await b.http.get('/.well-known/jwks.json');
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid).sort()).toEqual([newKid, oldKid, keys.body.next.kid].sort());
    const statuses = Object.fromEntries(keys.body.keys.map((key: { kid: string; status: string }) => [key.kid, key.status]));
    expect(statuses[newKid]).toBe('active');
    expect(statuses[oldKid]).toBe('retiring');
  });

  it('a retiring key leaves JWKS once every token it signed has expired (TTL + leeway)', async () => {
    const freshAdmin = await loginAs(a, admin);
    const oldKid = kidOf(freshAdmin.accessToken);
    const rotated = await a.http.post('/admin/keys/rotate').set(freshAdmin.bearer);
    expect((await a.http.get('/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid)).toContain(oldKid);
    // Pretend the rotation happened longer ago than the access TTL + leeway.
    await a.sql(`UPDATE signing_keys SET retired_at = now() - interval '1 hour' WHERE kid = $1`, [oldKid]);
    await a.http.get('/admin/keys').set((await loginAs(a, admin)).bearer); // reloads keys
    const kids = (await a.http.get('/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid);
    expect(kids).not.toContain(oldKid);
    expect(kids).toContain(rotated.body.kid);
  });

  it('revoking a key kills its tokens at once on both instances; refresh recovers with the new key', async () => {
    const user = await createLoggedIn(a);
    const kid = kidOf(user.accessToken);
    const res = await a.http.post(`/admin/keys/${kid}/revoke`).set(admin.bearer);
    expect(res.status).toBe(204);
    for (const t of [a, b]) {
      await eventually(async () => {
        const check = await t.http.get('/auth/session').set(user.bearer);
        expect(check.status).toBe(401);
        expect(check.body.code).toBe('token_revoked');
      }, 1000, 5);
    }
    // The active key was revoked: a fresh one signs now, and the session itself lives on.
    const refreshed = await b.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(kidOf(refreshed.body.accessToken)).not.toBe(kid);
    expect((await a.http.get('/auth/session').set({ Authorization: `Bearer ${refreshed.body.accessToken}` })).status).toBe(200);
    const jwks = await a.http.get('/.well-known/jwks.json');
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).not.toContain(kid);
    const keys = await a.http.get('/admin/keys').set(admin.bearer);
    expect(keys.body.keys.find((key: { kid: string }) => key.kid === kid).status).toBe('revoked');
    expect(keys.body.keys.filter((key: { status: string }) => key.status === 'active')).toHaveLength(1);
    // Revoking again is harmless; an unknown kid is 404.
    expect((await a.http.post(`/admin/keys/${kid}/revoke`).set(admin.bearer)).status).toBe(204);
    expect((await a.http.post('/admin/keys/no-such-key/revoke').set(admin.bearer)).status).toBe(404);
  });

  it('revokeSessions=true also revokes every session that received a token from the key', async () => {
    const freshAdmin = await loginAs(a, admin);
    const user = await createLoggedIn(a);
    const kid = kidOf(user.accessToken);
    // The session also holds a token from the next key; it must die too.
    await a.http.post('/admin/keys/rotate').set(freshAdmin.bearer);
    const later = await b.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(later.status).toBe(200);
    const adminForRevoke = await loginAs(a, admin);
    const res = await a.http.post(`/admin/keys/${kid}/revoke`).query({ revokeSessions: 'true' }).set(adminForRevoke.bearer);
    expect(res.status).toBe(204);
    for (const t of [a, b]) {
      await eventually(async () => {
        const check = await t.http.get('/auth/session').set({ Authorization: `Bearer ${later.body.accessToken}` });
        expect(check.body.code).toBe('token_revoked');
      }, 1000, 5);
    }
    const refresh = await a.http.post('/auth/refresh').send({ refreshToken: later.body.refreshToken });
    expect(refresh.body.code).toBe('session_revoked');
    const [row] = await a.sql(`SELECT revoked_reason FROM sessions WHERE id = $1`, [user.sessionId]);
    expect(row.revoked_reason).toBe('key_revoked');
    const bad = await a.http.post(`/admin/keys/${kid}/revoke`).query({ revokeSessions: 'maybe' }).set(adminForRevoke.bearer);
    expect(bad.status).toBe(400);
  });

  it('revokeSessions=true also covers a session whose only token from the key came from a benign repeat', async () => {
    const user = await createLoggedIn(a);
    const rotated = await a.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(rotated.status).toBe(200);
    const freshAdmin = await loginAs(a, admin);
    const newKid: string = (await a.http.post('/admin/keys/rotate').set(freshAdmin.bearer)).body.kid;
    // The repeat of the already-rotated token, within the grace window, is signed by the new key.
    const repeat = await a.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(repeat.status).toBe(200);
    expect(kidOf(repeat.body.accessToken)).toBe(newKid);
    const linked = await a.sql(`SELECT 1 FROM session_signing_keys WHERE session_id = $1 AND kid = $2`, [user.sessionId, newKid]);
    expect(linked).toHaveLength(1);
  });

  it('a key reload that was already reading when a revocation committed reads again: the revoked key never signs', async () => {
    const freshAdmin = await loginAs(a, admin);
    const kid = kidOf(freshAdmin.accessToken);
    // On B a reload is in flight (an unknown kid, a rotation) that read the keys just before the revocation.
    const repository = b.app.get(SigningKeysRepository);
    const findAll = repository.findAll.bind(repository);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    vi.spyOn(repository, 'findAll').mockImplementationOnce(async () => {
      const rows = await findAll();
      readDone();
      await gate;
      return rows;
    });
    const staleReload = b.app.get(SigningKeysService).reload();
    await read;
    expect((await a.http.post(`/admin/keys/${kid}/revoke`).set(freshAdmin.bearer)).status).toBe(204);
    // B hears of it (Redis push, then its catch-up) while that read is still in flight.
    const [newest] = await a.sql<{ id: string }>(`SELECT max(id)::text AS id FROM revocation_events`);
    await eventually(async () => expect(b.app.get(RevocationService).lastAppliedId).toBe(BigInt(newest.id)), 2000, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await staleReload;

    const after = await loginAs(b, admin);
    expect(kidOf(after.accessToken)).not.toBe(kid);
    expect((await b.http.get('/auth/session').set(after.bearer)).status).toBe(200);
    const jwks = await b.http.get('/.well-known/jwks.json');
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).not.toContain(kid);
  });
});

describe('an instance that cannot hear the rotation (its Redis is unreachable)', () => {
  it('still switches to the new key through the database, as it does for revocations', async () => {
    const databaseUrl = await createTestDatabase();
    const a = await startApp({ databaseUrl });
    const b = await startApp({ databaseUrl, env: { REDIS_URL: 'redis://127.0.0.1:1', REVOCATION_SYNC_INTERVAL_MS: '200' } });
    try {
      const admin = await createLoggedIn(a, { role: 'admin' });
      const rotated = await a.http.post('/admin/keys/rotate').set(admin.bearer);
      expect(rotated.status).toBe(201);
      await eventually(async () => expect(kidOf((await loginAs(b, admin)).accessToken)).toBe(rotated.body.kid), 3000, 50);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('revokeSessions=true and the refresh grace window', () => {
  it('also kills an access token handed out by a benign repeat, later than the session\'s last rotation', async () => {
    const t = await startApp({ env: { ACCESS_TOKEN_TTL_SECONDS: '10', CLOCK_SKEW_SECONDS: '0', REFRESH_REUSE_GRACE_SECONDS: '60' } });
    try {
      const admin = await createLoggedIn(t, { role: 'admin' });
      const user = await createLoggedIn(t);
      const oldKid = kidOf(user.accessToken);
      expect((await t.http.post('/admin/keys/rotate').set(admin.bearer)).status).toBe(201);
      const rotated = await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(rotated.status).toBe(200);
      // The rotation happened 30 s ago (the session's lastUsedAt): past TTL + leeway, so nothing the
      // rotation handed out is alive any more, yet well inside the 60 s grace window. A repeat now
      // gets a fresh access token from the new key, alive for another 10 s.
      await t.sql(`UPDATE sessions SET last_used_at = last_used_at - interval '30 seconds' WHERE id = $1`, [user.sessionId]);
      await t.sql(`UPDATE refresh_tokens SET used_at = used_at - interval '30 seconds' WHERE session_id = $1 AND used_at IS NOT NULL`, [user.sessionId]);
      const repeat = await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(repeat.status, JSON.stringify(repeat.body)).toBe(200);
      const repeatBearer = { Authorization: `Bearer ${repeat.body.accessToken}` };
      expect(kidOf(repeat.body.accessToken)).not.toBe(oldKid);
      // More than TTL + leeway after lastUsedAt, yet the repeat's token is alive.
      expect((await t.http.get('/auth/session').set(repeatBearer)).status).toBe(200);

      const freshAdmin = await loginAs(t, admin);
      const res = await t.http.post(`/admin/keys/${oldKid}/revoke`).query({ revokeSessions: 'true' }).set(freshAdmin.bearer);
      expect(res.status).toBe(204);
      const [row] = await t.sql(`SELECT revoked_reason FROM sessions WHERE id = $1`, [user.sessionId]);
      expect(row.revoked_reason).toBe('key_revoked');
      const check = await t.http.get('/auth/session').set(repeatBearer);
      expect(check.status).toBe(401);
      expect(check.body.code).toBe('token_revoked');
    } finally {
      await t.close();
    }
  });
});

describe('revokeSessions=true while a session of that key is being logged out', () => {
  it('waits for the logout instead of deadlocking with it', async () => {
    const t = await startApp();
    try {
      const admin = await createLoggedIn(t, { role: 'admin' });
      const user = await createLoggedIn(t);
      const kid = kidOf(user.accessToken);
      await withClient(t.databaseUrl, async (logout) => {
        // A logout of the user's session, mid-transaction: it holds the session row and has yet to
        // record its revocation event (which takes the revocation write lock).
        await logout.query(`SET statement_timeout = '5s'`);
        await logout.query('BEGIN');
        await logout.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1`, [user.sessionId]);
        const revoke = t.http.post(`/admin/keys/${kid}/revoke`).query({ revokeSessions: 'true' }).set(admin.bearer).then((res) => res);
        await eventually(async () => {
          const [waiting] = await t.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          expect(waiting.n).toBeGreaterThan(0);
        }, 3000, 10);
        await logout.query(`SELECT pg_advisory_xact_lock(${0x67617465})`);
        await logout.query('COMMIT');
        const res = await revoke;
        expect(res.status, JSON.stringify(res.body)).toBe(204);
      });
      const keys = await t.http.get('/admin/keys').set((await loginAs(t, admin)).bearer);
      expect(keys.body.keys.find((key: { kid: string }) => key.kid === kid).status).toBe('revoked');
    } finally {
      await t.close();
    }
  });
});

describe('an instance that had not heard of a key revocation yet', () => {
  it('never signs with the revoked key (the database refuses it), and rejects the key\'s tokens once it catches up', async () => {
    const databaseUrl = await createTestDatabase();
    // No Redis, catch-up once a minute: B lags.
    const env = { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' };
    const a = await startApp({ databaseUrl, env });
    const b = await startApp({ databaseUrl, env });
    const c = await startApp({ databaseUrl, env });
    try {
      const admin = await createLoggedIn(a, { role: 'admin' });
      const user = await createLoggedIn(a);
      const kid = kidOf(admin.accessToken);
      // B has verified (and cached) a token of the key before it is revoked.
      const late = admin;
      expect((await b.http.get('/auth/session').set(late.bearer)).status).toBe(200);
      expect((await a.http.post(`/admin/keys/${kid}/revoke`).set(admin.bearer)).status).toBe(204);
      // B and C still hold the revoked key as their signing key, yet the database refuses it
      // (issue 8 #5): they re-read their keys and sign with the replacement. B refreshes, C logs in.
      const rotated = await b.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
      expect(kidOf(rotated.body.accessToken)).not.toBe(kid);
      const fresh = await loginAs(c, admin);
      expect(kidOf(fresh.accessToken)).not.toBe(kid);
      expect(await a.sql(`SELECT 1 FROM session_signing_keys WHERE session_id = $1 AND kid = $2`, [fresh.sessionId, kid])).toHaveLength(0);
      // B catches up (its next beat): the key is revoked there too now.
      await b.app.get(RevocationService).syncNow();
      await b.app.get(SigningKeysService).reload();
      expect((await b.http.get('/auth/session').set(late.bearer)).body.code).toBe('token_revoked');
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});
