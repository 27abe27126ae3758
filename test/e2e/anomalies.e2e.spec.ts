import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, createUser, eventually, loginAs, type LoggedIn, type TestUser } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

// Two instances on one database and one Redis. The catch-up loop is slowed to a minute, so a
// revocation the other instance enforces within a second came over the bus (the published bound).
// Both sit behind one proxy hop: X-Forwarded-For names the client, and only that last hop counts.
const common = { REVOCATION_SYNC_INTERVAL_MS: '60000', REFRESH_REUSE_GRACE_SECONDS: '0', TRUST_PROXY: '1' };
const THIEF = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.77' };

let a: TestApp; // default policy: refresh_token_reuse=revoke_session
let b: TestApp; // refresh_token_reuse=suspend_user
let admin: LoggedIn;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  a = await startApp({ databaseUrl, env: common });
  b = await startApp({ databaseUrl, env: { ...common, ANOMALY_POLICY: 'refresh_token_reuse=suspend_user' } });
  admin = await createLoggedIn(a, { role: 'admin' });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const session = (t: TestApp, bearer: { Authorization: string }) => t.http.get('/auth/session').set(bearer);
const rejectedOn = (t: TestApp, bearer: { Authorization: string }) => async () => {
  const res = await session(t, bearer);
  expect(res.body.code).toBe('token_revoked');
};

/** Rotates the session's token once, then presents the rotated one again from the thief's network on `t`. */
async function reuse(t: TestApp, user: LoggedIn): Promise<{ accessToken: string }> {
  const rotated = await a.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
  expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
  // Past the grace window without waiting: the first use is backdated.
  await a.sql(`UPDATE refresh_tokens SET used_at = used_at - interval '5 seconds' WHERE token_hash = $1`, [sha256(user.refreshToken)]);
  const res = await t.http.post('/auth/refresh').set(THIEF).send({ refreshToken: user.refreshToken });
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('refresh_token_reused');
  return { accessToken: rotated.body.accessToken as string };
}

async function anomaliesOf(userId: string, query = '') {
  const res = await a.http.get(`/admin/anomalies?userId=${userId}${query}`).set(admin.bearer);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.anomalies as Array<Record<string, unknown>>;
}

const loginStatus = async (t: TestApp, user: TestUser) =>
  (await t.http.post('/auth/login').send({ email: user.email, password: user.password })).body.code ?? 'ok';

describe('refresh_token_reuse through the anomaly model', () => {
  it('revoke_session: the anomaly, its revocation and its audit commit together; the other instance enforces it within a second', async () => {
    const user = await createLoggedIn(a);
    const other = await loginAs(a, user);
    const { accessToken } = await reuse(a, user);
    await eventually(rejectedOn(b, { Authorization: `Bearer ${accessToken}` }), 1000, 5);
    expect((await session(b, other.bearer)).status).toBe(200);

    const [anomaly] = await anomaliesOf(user.id);
    expect(anomaly).toMatchObject({
      type: 'refresh_token_reuse',
      userId: user.id,
      sessionId: user.sessionId,
      action: 'revoke_session',
      status: 'open',
      network: '203.0.113.0/24',
      details: { sessionsRevoked: 1 },
    });
    const audit = await a.sql(`SELECT type, details->>'anomalyId' AS id FROM audit_events WHERE user_id = $1 AND type LIKE 'anomaly_%'`, [user.id]);
    expect(audit).toEqual([{ type: 'anomaly_raised', id: anomaly.id }]);
    const metrics = await a.http.get('/metrics');
    expect(metrics.text).toMatch(/gatehouse_anomalies_total\{type="refresh_token_reuse",action="revoke_session"\} [1-9]/);

    // The user sees it too: type, when, network; nothing internal.
    const events = await a.http.get('/users/me/security-events').set(other.bearer);
    expect(events.status).toBe(200);
    expect(events.body.events).toEqual([{ type: 'refresh_token_reuse', createdAt: anomaly.createdAt, network: '203.0.113.0/24' }]);
  });

  it('the same theft presented on both instances at once raises one anomaly', async () => {
    const user = await createLoggedIn(a);
    const rotated = await a.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(rotated.status).toBe(200);
    await a.sql(`UPDATE refresh_tokens SET used_at = used_at - interval '5 seconds' WHERE token_hash = $1`, [sha256(user.refreshToken)]);
    const answers = await Promise.all(
      [a, b, a, b].map((t) => t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken })),
    );
    for (const res of answers) expect(['refresh_token_reused', 'session_revoked', 'account_suspended']).toContain(res.body.code);
    expect(await a.sql(`SELECT count(*)::int AS n FROM anomalies WHERE user_id = $1`, [user.id])).toEqual([{ n: 1 }]);
  });

  it('suspend_user: every session dies on the other instance, login and refresh answer account_suspended until dismissed', async () => {
    const user = await createLoggedIn(a);
    const other = await loginAs(a, user);
    await reuse(b, user);
    await eventually(rejectedOn(a, other.bearer), 1000, 5);
    expect(await loginStatus(a, user)).toBe('account_suspended');
    expect((await a.http.post('/auth/refresh').send({ refreshToken: other.refreshToken })).body.code).toBe('account_suspended');

    const [anomaly] = await anomaliesOf(user.id, '&status=open&type=refresh_token_reuse');
    expect(anomaly).toMatchObject({ action: 'suspend_user', details: { suspended: true } });
    const dismissed = await b.http.post(`/admin/anomalies/${anomaly.id as string}/dismiss`).set(admin.bearer).send({ note: 'was me on the train' });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.anomaly).toMatchObject({ status: 'dismissed', resolvedBy: admin.id, note: 'was me on the train' });
    expect(dismissed.body.anomaly.resolvedAt).toEqual(expect.any(String));
    expect(await loginStatus(a, user)).toBe('ok');
    const audit = await a.sql(`SELECT details->>'suspensionLifted' AS lifted FROM audit_events WHERE user_id = $1 AND type = 'anomaly_dismissed'`, [user.id]);
    expect(audit).toEqual([{ lifted: 'true' }]);
  });

  it('confirm keeps the suspension and can escalate; dismissing lifts it only once no other open or confirmed anomaly holds it', async () => {
    const user = await createUser(a);
    const first = await loginAs(a, user);
    const second = await loginAs(a, user);
    await reuse(a, first); // revoke_session
    await reuse(b, second); // suspend_user
    const [suspending, revoking] = await anomaliesOf(user.id);
    expect([suspending.action, revoking.action]).toEqual(['suspend_user', 'revoke_session']);

    const kept = await a.http.post(`/admin/anomalies/${suspending.id as string}/confirm`).set(admin.bearer).send({});
    expect(kept.body.anomaly).toMatchObject({ status: 'confirmed', action: 'suspend_user' });
    expect(await loginStatus(b, user)).toBe('account_suspended');
    const escalated = await b.http.post(`/admin/anomalies/${revoking.id as string}/confirm`).set(admin.bearer).send({ suspend: true, note: 'escalating' });
    expect(escalated.body.anomaly).toMatchObject({ status: 'confirmed', action: 'suspend_user', note: 'escalating' });

    expect((await a.http.post(`/admin/anomalies/${suspending.id as string}/dismiss`).set(admin.bearer).send({})).status).toBe(200);
    expect(await loginStatus(a, user)).toBe('account_suspended'); // the escalated one still holds it
    expect((await a.http.post(`/admin/anomalies/${revoking.id as string}/dismiss`).set(admin.bearer).send({})).status).toBe(200);
    expect(await loginStatus(a, user)).toBe('ok');
  });

  it('confirm with suspend escalates a revoke_session anomaly: every session revoked everywhere, login refused', async () => {
    const user = await createLoggedIn(a);
    const other = await loginAs(a, user);
    await reuse(a, user);
    const [anomaly] = await anomaliesOf(user.id);
    expect((await session(b, other.bearer)).status).toBe(200);
    const res = await a.http.post(`/admin/anomalies/${anomaly.id as string}/confirm`).set(admin.bearer).send({ suspend: true });
    expect(res.body.anomaly).toMatchObject({ status: 'confirmed', action: 'suspend_user' });
    await eventually(rejectedOn(b, other.bearer), 1000, 5);
    expect(await loginStatus(b, user)).toBe('account_suspended');
  });

  it('two anomalies holding one suspension dismissed at the same moment on two instances: the suspension is lifted', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await createUser(a);
      const first = await loginAs(a, user);
      const second = await loginAs(a, user);
      await reuse(a, first);
      await reuse(b, second);
      const [suspending, revoking] = await anomaliesOf(user.id);
      await a.http.post(`/admin/anomalies/${revoking.id as string}/confirm`).set(admin.bearer).send({ suspend: true });
      const [one, two] = await Promise.all([
        a.http.post(`/admin/anomalies/${suspending.id as string}/dismiss`).set(admin.bearer).send({}),
        b.http.post(`/admin/anomalies/${revoking.id as string}/dismiss`).set(admin.bearer).send({}),
      ]);
      expect([one.status, two.status]).toEqual([200, 200]);
      expect(await a.sql(`SELECT status::text FROM users WHERE id = $1`, [user.id])).toEqual([{ status: 'active' }]);
    }
  });

  it('the admin list filters and pages newest first with a cursor', async () => {
    const user = await createUser(a);
    for (let i = 0; i < 3; i++) await reuse(a, await loginAs(a, user));
    const page1 = await a.http.get(`/admin/anomalies?userId=${user.id}&limit=2`).set(admin.bearer);
    expect(page1.body.anomalies).toHaveLength(2);
    expect(page1.body.nextCursor).toBe(page1.body.anomalies[1].id);
    const page2 = await a.http.get(`/admin/anomalies?userId=${user.id}&limit=2&cursor=${page1.body.nextCursor as string}`).set(admin.bearer);
    expect(page2.body.anomalies).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    const all = [...page1.body.anomalies, ...page2.body.anomalies] as Array<{ createdAt: string }>;
    expect(all.map((x) => x.createdAt)).toEqual([...all.map((x) => x.createdAt)].sort().reverse());
    expect(await anomaliesOf(user.id, '&status=dismissed')).toEqual([]);
    expect(await anomaliesOf(user.id, '&type=new_network')).toEqual([]);
  });

  it('refuses bad input, non-admins and unknown anomalies in API.md shape', async () => {
    const user = await createLoggedIn(a);
    for (const query of ['status=bogus', 'type=bogus', 'userId=nope', 'limit=0', 'cursor=x']) {
      const res = await a.http.get(`/admin/anomalies?${query}`).set(admin.bearer);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await a.http.get('/admin/anomalies').set(user.bearer)).body.code).toBe('forbidden');
    expect((await a.http.get('/admin/anomalies')).status).toBe(401);
    const unknown = await a.http.post('/admin/anomalies/00000000-0000-4000-8000-000000000000/dismiss').set(admin.bearer).send({});
    expect(unknown.status).toBe(404);
    expect((await a.http.post('/admin/anomalies/not-a-uuid/confirm').set(admin.bearer).send({})).status).toBe(400);
    const extra = await a.http.post('/admin/anomalies/00000000-0000-4000-8000-000000000000/confirm').set(admin.bearer).send({ suspend: 'yes' });
    expect(extra.body.code).toBe('validation_failed');
  });

  it('a malformed ANOMALY_POLICY stops the boot', async () => {
    await expect(startApp({ databaseUrl: a.databaseUrl, env: { ANOMALY_POLICY: 'new_network=ban' } })).rejects.toThrow(/ANOMALY_POLICY/);
  });
});
