import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, createLoggedIn, loginAs } from '../support/factories.js';
import { holdNextUserRead } from '../support/hold.js';
import { startApp, type TestApp } from '../support/test-app.js';

describe('self-service revocation triggers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('password change: every other session revoked at once, the current one kept, old password dead', async () => {
    const user = await createUser(t);
    const current = await loginAs(t, user);
    const other = await loginAs(t, user);
    const res = await t.http
      .post('/users/me/password')
      .set(current.bearer)
      .send({ currentPassword: user.password, newPassword: 'a brand new passphrase' });
    expect(res.status).toBe(204);

    expect((await t.http.get('/users/me').set(current.bearer)).status).toBe(200);
    const otherAccess = await t.http.get('/users/me').set(other.bearer);
    expect(otherAccess.status).toBe(401);
    expect(otherAccess.body.code).toBe('token_revoked');
    expect((await t.http.post('/auth/refresh').send({ refreshToken: other.refreshToken })).body.code).toBe('session_revoked');
    expect((await t.http.post('/auth/refresh').send({ refreshToken: current.refreshToken })).status).toBe(200);

    const rows = await t.sql(`SELECT id, revoked_reason FROM sessions WHERE user_id = $1 ORDER BY created_at`, [user.id]);
    expect(rows).toEqual([
      { id: current.sessionId, revoked_reason: null },
      { id: other.sessionId, revoked_reason: 'password_change' },
    ]);
    expect((await t.http.post('/auth/login').send({ email: user.email, password: user.password })).body.code).toBe('invalid_credentials');
    await loginAs(t, { ...user, password: 'a brand new passphrase' });
    const [audit] = await t.sql(`SELECT actor_id, details FROM audit_events WHERE type = 'password_changed' AND user_id = $1`, [user.id]);
    expect(audit).toMatchObject({ actor_id: user.id, details: { reason: 'password_change', sessionsRevoked: 1 } });
  });

  it('a login that checked the old password just before a password change commits opens no session', async () => {
    const user = await createUser(t);
    const current = await loginAs(t, user);
    // Hold the racing login between reading the user row (old hash) and opening its session.
    const { read, release } = holdNextUserRead(t);
    const racingLogin = t.http.post('/auth/login').send({ email: user.email, password: user.password }).then((res) => res);
    await read;
    const change = await t.http
      .post('/users/me/password')
      .set(current.bearer)
      .send({ currentPassword: user.password, newPassword: 'changed while a login was in flight' });
    expect(change.status).toBe(204);
    release();

    const login = await racingLogin;
    expect(login.status, JSON.stringify(login.body)).toBe(401);
    expect(login.body.code).toBe('invalid_credentials');
    const live = await t.sql(`SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    expect(live).toEqual([{ id: current.sessionId }]);
  });

  it('a login that checked the password just before a suspension commits answers account_suspended and opens no session', async () => {
    const admin = await createLoggedIn(t, { role: 'admin' });
    const user = await createUser(t);
    const { read, release } = holdNextUserRead(t);
    const racingLogin = t.http.post('/auth/login').send({ email: user.email, password: user.password }).then((res) => res);
    await read;
    const suspend = await t.http.post(`/admin/users/${user.id}/suspend`).set(admin.bearer).send({ reason: 'while a login was in flight' });
    expect(suspend.status, JSON.stringify(suspend.body)).toBe(200);
    release();

    const login = await racingLogin;
    expect(login.status, JSON.stringify(login.body)).toBe(403);
    expect(login.body.code).toBe('account_suspended');
    expect(await t.sql(`SELECT id FROM sessions WHERE user_id = $1`, [user.id])).toEqual([]);
  });

  it('a login that checked the password just before a role change commits carries the new role', async () => {
    const admin = await createLoggedIn(t, { role: 'admin' });
    const user = await createUser(t);
    const { read, release } = holdNextUserRead(t);
    const racingLogin = t.http.post('/auth/login').send({ email: user.email, password: user.password }).then((res) => res);
    await read;
    const promote = await t.http.patch(`/admin/users/${user.id}/role`).set(admin.bearer).send({ role: 'admin' });
    expect(promote.status, JSON.stringify(promote.body)).toBe(200);
    release();

    const login = await racingLogin;
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.user.role).toBe('admin');
    const claims = JSON.parse(Buffer.from(login.body.accessToken.split('.')[1], 'base64url').toString());
    expect(claims.role).toBe('admin');
    // A session opened after the role change's cut-off, so its token works.
    expect((await t.http.get('/admin/users').set({ Authorization: `Bearer ${login.body.accessToken}` })).status).toBe(200);
  });

  it('password change needs the current password and a valid new one', async () => {
    const user = await createLoggedIn(t);
    const wrong = await t.http.post('/users/me/password').set(user.bearer).send({ currentPassword: 'not it at all', newPassword: 'whatever-123' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const short = await t.http.post('/users/me/password').set(user.bearer).send({ currentPassword: user.password, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.details[0].field).toBe('newPassword');
    expect((await t.http.get('/users/me').set(user.bearer)).status).toBe(200);
  });

  it('DELETE /users/me: password required; then every session revoked, user gone, login refused', async () => {
    const user = await createUser(t);
    const a = await loginAs(t, user);
    const b = await loginAs(t, user);
    const wrong = await t.http.delete('/users/me').set(a.bearer).send({ password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    const missing = await t.http.delete('/users/me').set(a.bearer).send({});
    expect(missing.status).toBe(400);

    expect((await t.http.delete('/users/me').set(a.bearer).send({ password: user.password })).status).toBe(204);
    for (const session of [a, b]) {
      const res = await t.http.get('/auth/session').set(session.bearer);
      expect(res.body.code).toBe('token_revoked');
    }
    expect((await t.http.post('/auth/refresh').send({ refreshToken: b.refreshToken })).body.code).toBe('invalid_refresh_token');
    expect((await t.http.post('/auth/login').send({ email: user.email, password: user.password })).body.code).toBe('invalid_credentials');
    expect(await t.sql(`SELECT 1 FROM users WHERE id = $1`, [user.id])).toHaveLength(0);
    const [event] = await t.sql(`SELECT reason FROM revocation_events WHERE user_id = $1`, [user.id]);
    expect(event.reason).toBe('deletion');
    // The email can be registered again, as a different user.
    const again = await t.http.post('/auth/register').send({ email: user.email, password: user.password });
    expect(again.status).toBe(201);
    expect(again.body.user.id).not.toBe(user.id);
  });
});
