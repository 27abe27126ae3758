import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually, loginAs } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const rejected = async (t: TestApp, bearer: { Authorization: string }) => {
  const res = await t.http.get('/auth/session').set(bearer);
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('token_revoked');
};
const accepted = async (t: TestApp, bearer: { Authorization: string }) => {
  const res = await t.http.get('/auth/session').set(bearer);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

describe('two instances on one database and one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    // The catch-up loop is slowed to a minute: anything B learns within a second came over Redis.
    const env = { REVOCATION_SYNC_INTERVAL_MS: '60000' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('a logout on A is enforced by B within a second (pushed over Redis)', async () => {
    const user = await createLoggedIn(a);
    await accepted(b, user.bearer);
    const started = Date.now();
    expect((await a.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    await rejected(a, user.bearer);
    await eventually(() => rejected(b, user.bearer), 1000, 5);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('user-wide revocations (logout-all, role change, suspension) cross over too', async () => {
    const admin = await createLoggedIn(a, { role: 'admin' });
    const user = await createLoggedIn(a);
    const second = await loginAs(b, user);
    await accepted(b, user.bearer);
    expect((await b.http.post('/auth/logout-all').set(second.bearer)).status).toBe(204);
    await eventually(() => rejected(a, user.bearer), 1000, 5);

    const again = await loginAs(a, user);
    await accepted(b, again.bearer);
    expect((await a.http.post(`/admin/users/${user.id}/suspend`).set(admin.bearer).send({})).status).toBe(200);
    await eventually(() => rejected(b, again.bearer), 1000, 5);
  });

  it('detected refresh-token reuse on B kills the access token on A', async () => {
    const t = await startApp({ databaseUrl: a.databaseUrl, env: { REFRESH_REUSE_GRACE_SECONDS: '0', REVOCATION_SYNC_INTERVAL_MS: '60000' } });
    try {
      const user = await createLoggedIn(a);
      const rotated = await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(rotated.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const reuse = await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(reuse.status).toBe(401);
      expect(reuse.body.code).toBe('refresh_token_reused');
      await eventually(() => rejected(a, { Authorization: `Bearer ${rotated.body.accessToken}` }), 1000, 5);
    } finally {
      await t.close();
    }
  });

  it('a failed transaction revokes nothing and publishes nothing', async () => {
    const admin = await createLoggedIn(a, { role: 'admin' });
    const user = await createLoggedIn(a);
    // Make the role change fail at its last statement (the audit insert), after the session
    // update and the revocation event were written in the same transaction.
    await a.sql(`
      CREATE FUNCTION fail_role_audit() RETURNS trigger AS $$
      BEGIN IF NEW.type = 'role_changed' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END
      $$ LANGUAGE plpgsql;
      CREATE TRIGGER fail_role_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_role_audit();`);
    try {
      const eventsBefore = await a.sql(`SELECT count(*)::int AS n FROM revocation_events`);
      const res = await a.http.patch(`/admin/users/${user.id}/role`).set(admin.bearer).send({ role: 'admin' });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ statusCode: 500, code: 'internal_error', message: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toContain('injected');
      const [row] = await a.sql(`SELECT role FROM users WHERE id = $1`, [user.id]);
      expect(row.role).toBe('user');
      expect(await a.sql(`SELECT 1 FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, [user.id])).toHaveLength(0);
      expect(await a.sql(`SELECT count(*)::int AS n FROM revocation_events`)).toEqual(eventsBefore);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await accepted(a, user.bearer);
      await accepted(b, user.bearer);
    } finally {
      await a.sql(`DROP TRIGGER fail_role_audit ON audit_events; DROP FUNCTION fail_role_audit();`);
    }
  });
});

describe('an instance without Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    a = await startApp({ databaseUrl });
    b = await startApp({ databaseUrl, env: { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '200', REVOCATION_LISTEN: 'false' } });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('still learns every revocation through the database catch-up loop', async () => {
    const user = await createLoggedIn(a);
    await accepted(b, user.bearer);
    expect((await a.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    await eventually(() => rejected(b, user.bearer), 3000, 20);
    const health = await b.http.get('/health/ready');
    expect(health.status).toBe(200);
    expect(health.body.redis).toBe('off');
  });
});

describe('an instance whose Redis is unreachable', () => {
  it('serves every request, reports redis down but stays ready, and still propagates via the database', async () => {
    const databaseUrl = await createTestDatabase();
    const a = await startApp({ databaseUrl });
    const b = await startApp({ databaseUrl, env: { REDIS_URL: 'redis://127.0.0.1:1', REVOCATION_SYNC_INTERVAL_MS: '200' } });
    try {
      const user = await createLoggedIn(b);
      await accepted(a, user.bearer);
      expect((await b.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
      await rejected(b, user.bearer);
      await eventually(() => rejected(a, user.bearer), 3000, 20);
      const health = await b.http.get('/health/ready');
      expect(health.status).toBe(200);
      expect(health.body.redis).toBe('down');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('a password change from a session another instance already revoked', () => {
  it('is refused, and never revives that session\'s access token on any instance', async () => {
    const databaseUrl = await createTestDatabase();
    // No push channel (Redis, NOTIFY) and a catch-up once a minute: B lags behind A on purpose.
    const env = { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' };
    const a = await startApp({ databaseUrl, env });
    const b = await startApp({ databaseUrl, env });
    let late: TestApp | undefined;
    try {
      const user = await createLoggedIn(a);
      expect((await a.http.post('/auth/logout-all').set(user.bearer)).status).toBe(204);
      await rejected(a, user.bearer);
      // B has not heard of the logout-all yet, so the token still passes its guard there.
      await accepted(b, user.bearer);

      const change = await b.http
        .post('/users/me/password')
        .set(user.bearer)
        .send({ currentPassword: user.password, newPassword: 'a passphrase set from a dead session' });
      expect(change.status, JSON.stringify(change.body)).toBe(401);
      expect(change.body.code).toBe('token_revoked');

      // The session stays revoked in the database, the old password still works (nothing changed) ...
      const [row] = await a.sql(`SELECT revoked_reason FROM sessions WHERE id = $1`, [user.sessionId]);
      expect(row.revoked_reason).toBe('logout_all');
      await loginAs(a, user);
      // ... and an instance that loads every recent revocation in order still rejects the token.
      late = await startApp({ databaseUrl, env });
      await rejected(late, user.bearer);
    } finally {
      await Promise.all([a.close(), b.close(), late?.close()]);
    }
  });
});
