import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

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

    const jwks = await b.http.get('/.well-known/jwks.json');
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid).sort()).toEqual([newKid, oldKid].sort());
    const keys = await a.http.get('/admin/keys').set(admin.bearer);
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
    expect(row!.revoked_reason).toBe('key_revoked');
    const bad = await a.http.post(`/admin/keys/${kid}/revoke`).query({ revokeSessions: 'maybe' }).set(adminForRevoke.bearer);
    expect(bad.status).toBe(400);
  });
});
