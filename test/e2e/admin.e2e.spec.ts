import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'supertest';
import { withClient } from '../support/databases.js';
import { createLoggedIn, createUser, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

describe('admin API', () => {
  let t: TestApp;
  let admin: LoggedIn;

  beforeAll(async () => {
    t = await startApp();
    admin = await createLoggedIn(t, { role: 'admin' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses non-admins with 403 forbidden and anonymous callers with 401', async () => {
    const user = await createLoggedIn(t);
    const forbidden = await t.http.get('/admin/users').set(user.bearer);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('forbidden');
    const anonymous = await t.http.get('/admin/users');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('invalid_token');
  });

  it('lists users with cursor pagination and an email filter', async () => {
    const tag = `page${Date.now()}`;
    for (let i = 0; i < 5; i++) await createUser(t, { email: `${tag}-${i}@Example.test` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Response = await t.http
        .get('/admin/users')
        .query({ limit: 2, email: tag.toUpperCase(), ...(cursor ? { cursor } : {}) })
        .set(admin.bearer);
      expect(res.status).toBe(200);
      expect(res.body.users.length).toBeLessThanOrEqual(2);
      for (const user of res.body.users) {
        expect(user).not.toHaveProperty('passwordHash');
        seen.push(user.email);
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `${tag}-${i}@example.test`));
  });

  it('rejects bad query parameters with validation_failed', async () => {
    for (const query of [{ limit: 0 }, { limit: 101 }, { limit: 'x' }, { cursor: 'nope' }, { unknown: 1 }]) {
      const res = await t.http.get('/admin/users').query(query).set(admin.bearer);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  it('answers validation_failed, never a 500, for text the database cannot hold or a cursor past its range', async () => {
    const user = await createLoggedIn(t);
    const attempts = [
      t.http.get('/admin/users').query({ email: 'ada\u0000@example.test' }).set(admin.bearer),
      t.http.get('/admin/audit').query({ cursor: '9999999999999999999' }).set(admin.bearer),
      t.http.post(`/admin/users/${user.id}/suspend`).set(admin.bearer).send({ reason: 'fraud\u0000' }),
      t.http.post(`/admin/users/${user.id}/revoke-sessions`).set(admin.bearer).send({ reason: '\u0000' }),
    ];
    for (const [i, attempt] of attempts.entries()) {
      const res = await attempt;
      expect(res.status, `attempt ${i}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    // Nothing happened to the user.
    expect((await t.http.get('/users/me').set(user.bearer)).status).toBe(200);
  });

  it('shows a user with their live sessions; 404 for an unknown id', async () => {
    const user = await createLoggedIn(t);
    const res = await t.http.get(`/admin/users/${user.id}`).set(admin.bearer);
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(user.email);
    expect(res.body.sessions.map((s: { id: string }) => s.id)).toEqual([user.sessionId]);
    const missing = await t.http.get('/admin/users/00000000-0000-7000-8000-000000000000').set(admin.bearer);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
  });

  it('changes a role: every session revoked at once, new logins carry the new role', async () => {
    const user = await createLoggedIn(t);
    const res = await t.http.patch(`/admin/users/${user.id}/role`).set(admin.bearer).send({ role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.body.user.role).toBe('admin');
    const old = await t.http.get('/users/me').set(user.bearer);
    expect(old.status).toBe(401);
    expect(old.body.code).toBe('token_revoked');
    const refresh = await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(refresh.body.code).toBe('session_revoked');
    const [row] = await t.sql(`SELECT revoked_reason FROM sessions WHERE id = $1`, [user.sessionId]);
    expect(row.revoked_reason).toBe('role_change');
    const again = await loginAs(t, user);
    const adminOnly = await t.http.get('/admin/users').set(again.bearer);
    expect(adminOnly.status).toBe(200);
    const payload = JSON.parse(Buffer.from(again.accessToken.split('.')[1], 'base64url').toString());
    expect(payload.role).toBe('admin');
    const invalid = await t.http.patch(`/admin/users/${user.id}/role`).set(admin.bearer).send({ role: 'root' });
    expect(invalid.status).toBe(400);
  });

  it('suspends: sessions revoked, login and refresh refused with account_suspended; unsuspend restores login', async () => {
    const user = await createLoggedIn(t);
    const res = await t.http.post(`/admin/users/${user.id}/suspend`).set(admin.bearer).send({ reason: 'fraud review' });
    expect(res.status).toBe(200);
    expect(res.body.user.status).toBe('suspended');
    expect((await t.http.get('/users/me').set(user.bearer)).body.code).toBe('token_revoked');
    const login = await t.http.post('/auth/login').send({ email: user.email, password: user.password });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('account_suspended');
    const refresh = await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(refresh.status).toBe(403);
    expect(refresh.body.code).toBe('account_suspended');
    const wrongPassword = await t.http.post('/auth/login').send({ email: user.email, password: 'not-the-password' });
    expect(wrongPassword.body.code).toBe('invalid_credentials');

    const unsuspended = await t.http.post(`/admin/users/${user.id}/unsuspend`).set(admin.bearer);
    expect(unsuspended.status).toBe(200);
    expect(unsuspended.body.user.status).toBe('active');
    await loginAs(t, user);
  });

  it('revokes every session of a user on request', async () => {
    const user = await createUser(t);
    const a = await loginAs(t, user);
    const b = await loginAs(t, user);
    const res = await t.http.post(`/admin/users/${user.id}/revoke-sessions`).set(admin.bearer).send({ reason: 'anomaly' });
    expect(res.status).toBe(204);
    for (const session of [a, b]) expect((await t.http.get('/users/me').set(session.bearer)).body.code).toBe('token_revoked');
    const rows = await t.sql(`SELECT revoked_reason FROM sessions WHERE user_id = $1`, [user.id]);
    expect(rows.map((r) => r.revoked_reason)).toEqual(['admin', 'admin']);
    await loginAs(t, user);
  });

  it('deletes a user: tokens rejected, login refused', async () => {
    const user = await createLoggedIn(t);
    const res = await t.http.delete(`/admin/users/${user.id}`).set(admin.bearer);
    expect(res.status).toBe(204);
    expect((await t.http.get('/users/me').set(user.bearer)).body.code).toBe('token_revoked');
    expect((await t.http.post('/auth/login').send({ email: user.email, password: user.password })).body.code).toBe('invalid_credentials');
    expect(await t.sql(`SELECT 1 FROM users WHERE id = $1`, [user.id])).toHaveLength(0);
    expect((await t.http.delete(`/admin/users/${user.id}`).set(admin.bearer)).status).toBe(404);
  });

  it('deletes a user while one of their refreshes is mid-transaction: waits for it instead of deadlocking', async () => {
    const user = await createLoggedIn(t);
    const [token] = await t.sql<{ id: string }>(`SELECT id FROM refresh_tokens WHERE session_id = $1`, [user.sessionId]);
    await withClient(t.databaseUrl, async (refresh) => {
      // A refresh, as RefreshRotation.refresh runs it: it has marked the token used and is about
      // to touch the session row.
      await refresh.query(`SET statement_timeout = '5s'`);
      await refresh.query('BEGIN');
      await refresh.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1 AND used_at IS NULL`, [token.id]);
      const deletion = t.http.delete(`/admin/users/${user.id}`).set(admin.bearer).then((res) => res);
      await eventually(async () => {
        const [waiting] = await t.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        expect(waiting.n).toBeGreaterThan(0);
      }, 3000, 10);
      const touched = await refresh.query(`UPDATE sessions SET last_used_at = now() WHERE id = $1 AND revoked_at IS NULL`, [user.sessionId]);
      expect(touched.rowCount).toBe(1);
      await refresh.query('COMMIT');
      const res = await deletion;
      expect(res.status, JSON.stringify(res.body)).toBe(204);
    });
    expect(await t.sql(`SELECT 1 FROM users WHERE id = $1`, [user.id])).toHaveLength(0);
    expect((await t.http.get('/users/me').set(user.bearer)).body.code).toBe('token_revoked');
  });

  it('never removes the last active admin (409 last_admin), even when two admins race', async () => {
    const t2 = await startApp();
    try {
      const a = await createLoggedIn(t2, { role: 'admin' });
      const b = await createLoggedIn(t2, { role: 'admin' });
      // Each demotes the other at the same moment: exactly one may win.
      const [ab, ba] = await Promise.all([
        t2.http.patch(`/admin/users/${b.id}/role`).set(a.bearer).send({ role: 'user' }),
        t2.http.patch(`/admin/users/${a.id}/role`).set(b.bearer).send({ role: 'user' }),
      ]);
      const statuses = [ab.status, ba.status].sort();
      // The loser either hits last_admin or finds its own token revoked by the winner.
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      const admins = await t2.sql(`SELECT id FROM users WHERE role = 'admin' AND status = 'active'`);
      expect(admins).toHaveLength(1);
      const survivor = admins[0].id === a.id ? a : b;
      const fresh = await loginAs(t2, survivor);
      for (const attempt of [
        t2.http.patch(`/admin/users/${survivor.id}/role`).set(fresh.bearer).send({ role: 'user' }),
        t2.http.post(`/admin/users/${survivor.id}/suspend`).set(fresh.bearer).send({}),
        t2.http.delete(`/admin/users/${survivor.id}`).set(fresh.bearer),
        t2.http.delete('/users/me').set(fresh.bearer).send({ password: survivor.password }),
      ]) {
        const res = await attempt;
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('last_admin');
      }
    } finally {
      await t2.close();
    }
  });

  it('records admin actions in the audit log with actor, reason, ip and user agent; filters and pages', async () => {
    const user = await createLoggedIn(t);
    await t.http.post(`/admin/users/${user.id}/suspend`).set(admin.bearer).set('user-agent', 'admin-console/1').send({ reason: 'chargebacks' });
    await t.http.post(`/admin/users/${user.id}/unsuspend`).set(admin.bearer);
    const res = await t.http.get('/admin/audit').query({ userId: user.id, type: 'user_suspended' }).set(admin.bearer);
    expect(res.status).toBe(200);
    expect(res.body.events).toHaveLength(1);
    const [event] = res.body.events;
    expect(event).toMatchObject({ type: 'user_suspended', userId: user.id, actorId: admin.id, userAgent: 'admin-console/1' });
    expect(event.details).toMatchObject({ reason: 'suspension', note: 'chargebacks', sessionsRevoked: 1 });
    expect(event.ip).toBeTruthy();

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await t.http.get('/admin/audit').query({ userId: user.id, limit: 1, ...(cursor ? { cursor } : {}) }).set(admin.bearer);
      expect(page.status).toBe(200);
      all.push(...page.body.events.map((e: { type: string }) => e.type));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toEqual(expect.arrayContaining(['user_registered', 'login_succeeded', 'user_suspended', 'user_unsuspended']));
    const text = JSON.stringify(await t.sql('SELECT * FROM audit_events'));
    expect(text).not.toContain(user.password);
    expect(text).not.toContain(user.refreshToken);
    expect(text).not.toContain(user.accessToken);
  });
});
