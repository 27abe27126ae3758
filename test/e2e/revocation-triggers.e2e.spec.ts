import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, createUser, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

/**
 * Commit, then announce: every way a token can be revoked must tell the other instances at
 * once, not leave it to the database catch-up. The catch-up beat is slowed to a minute here, so
 * a trigger that recorded its revocation without announcing it would stay accepted on B.
 */
const PUSH_BOUND_MS = 1500;

const accepted = async (t: TestApp, session: { bearer: { Authorization: string } }) => {
  const res = await t.http.get('/auth/session').set(session.bearer);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};
const rejectedSoon = (t: TestApp, session: { bearer: { Authorization: string } }) =>
  eventually(async () => {
    const res = await t.http.get('/auth/session').set(session.bearer);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_revoked');
  }, PUSH_BOUND_MS, 10);

describe('every revocation trigger reaches the other instance at once (commit, then announce)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: LoggedIn;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = { REVOCATION_SYNC_INTERVAL_MS: '60000', REFRESH_REUSE_GRACE_SECONDS: '0' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
    admin = await createLoggedIn(a, { role: 'admin' });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  /** Logs a fresh user in on A, makes B verify (and cache) the token, runs the trigger on A. */
  async function expectAnnounced(trigger: (victim: LoggedIn) => Promise<{ status: number }>, expectedStatus: number): Promise<void> {
    const victim = await createLoggedIn(a);
    await accepted(b, victim);
    const res = await trigger(victim);
    expect(res.status, JSON.stringify(res)).toBe(expectedStatus);
    await rejectedSoon(b, victim);
  }

  it('logout with the bearer, and with the refresh token', async () => {
    await expectAnnounced((v) => a.http.post('/auth/logout').set(v.bearer), 204);
    await expectAnnounced((v) => a.http.post('/auth/logout').send({ refreshToken: v.refreshToken }), 204);
  });

  it('logout-all', async () => {
    await expectAnnounced(async (v) => a.http.post('/auth/logout-all').set((await loginAs(a, v)).bearer), 204);
  });

  it('password change (from another session)', async () => {
    await expectAnnounced(
      async (v) =>
        a.http
          .post('/users/me/password')
          .set((await loginAs(a, v)).bearer)
          .send({ currentPassword: v.password, newPassword: 'another long passphrase' }),
      204,
    );
  });

  it('self-service deletion and DELETE /sessions/:id', async () => {
    await expectAnnounced((v) => a.http.delete('/users/me').set(v.bearer).send({ password: v.password }), 204);
    await expectAnnounced(async (v) => a.http.delete(`/sessions/${v.sessionId}`).set((await loginAs(a, v)).bearer), 204);
  });

  it('admin: role change, suspension, revoke-sessions, deletion', async () => {
    await expectAnnounced((v) => a.http.patch(`/admin/users/${v.id}/role`).set(admin.bearer).send({ role: 'admin' }), 200);
    await expectAnnounced((v) => a.http.post(`/admin/users/${v.id}/suspend`).set(admin.bearer).send({}), 200);
    await expectAnnounced((v) => a.http.post(`/admin/users/${v.id}/revoke-sessions`).set(admin.bearer).send({}), 204);
    await expectAnnounced((v) => a.http.delete(`/admin/users/${v.id}`).set(admin.bearer), 204);
  });

  it('RFC 7009 revocation of the refresh token', async () => {
    await expectAnnounced((v) => a.http.post('/oauth/revoke').send({ token: v.refreshToken }), 200);
  });

  it('refresh-token reuse', async () => {
    const victim = await createLoggedIn(a);
    const rotated = await a.http.post('/auth/refresh').send({ refreshToken: victim.refreshToken });
    expect(rotated.status).toBe(200);
    const successor = { bearer: { Authorization: `Bearer ${rotated.body.accessToken}` } };
    await accepted(b, successor);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reuse = await a.http.post('/auth/refresh').send({ refreshToken: victim.refreshToken });
    expect(reuse.body.code).toBe('refresh_token_reused');
    await rejectedSoon(b, successor);
  });

  // Last: it kills every token this file's instances signed so far.
  it('signing-key revocation, and the key rotation before it', async () => {
    const rotated = await a.http.post('/admin/keys/rotate').set(admin.bearer);
    expect(rotated.status).toBe(201);
    // B signs with the new key at once: the rotation was announced, not left to a reload.
    const user = await createUser(a);
    await eventually(async () => {
      const session = await loginAs(b, user);
      expect(JSON.parse(Buffer.from(session.accessToken.split('.')[0], 'base64url').toString()).kid).toBe(rotated.body.kid);
    }, PUSH_BOUND_MS, 10);
    const freshAdmin = await loginAs(a, admin);
    await expectAnnounced(() => a.http.post(`/admin/keys/${rotated.body.kid}/revoke`).set(freshAdmin.bearer), 204);
  });
});
