import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, eventually, loginAs, type LoggedIn, type TestUser } from '../support/factories.js';
import { anomaliesOf, raised, revokedOn, sessionStatus, startPair, type Pair } from '../support/anomalies.js';
import { startApp, type TestApp } from '../support/test-app.js';

// failed_logins, new_network and session_network_change on two instances sharing one database
// and Redis, each driven to the revocation its policy demands, seen by the other instance
// within the published bound (the catch-up loop is slowed to a minute: within a second means
// the bus), then reviewed. Both instances sit behind one proxy hop (TRUST_PROXY=1): the client
// address is the last X-Forwarded-For entry; whatever the client wrote before it is ignored.
const common = {
  REVOCATION_SYNC_INTERVAL_MS: '60000',
  TRUST_PROXY: '1',
  ANOMALY_FAILED_LOGIN_THRESHOLD: '3',
  ANOMALY_POLICY: 'failed_logins=suspend_user,new_network=revoke_session,session_network_change=suspend_user',
};
/** A request from `ip` through the proxy; the spoofed first entry must not count. */
const from = (ip: string) => ({ 'X-Forwarded-For': `192.0.2.66, ${ip}` });
const BOUND_MS = 1000;

let pair: Pair;
let a: TestApp;
let b: TestApp;
let admin: LoggedIn;

beforeAll(async () => {
  pair = await startPair(common);
  ({ a, b, admin } = pair);
});
afterAll(() => pair?.close());

const login = (t: TestApp, user: TestUser, ip: string, password = user.password) =>
  t.http.post('/auth/login').set(from(ip)).send({ email: user.email, password });
const refresh = (t: TestApp, refreshToken: string, ip: string) => t.http.post('/auth/refresh').set(from(ip)).send({ refreshToken });

/** Exactly `n` anomalies of the user, once detached detections have had time to land. */
async function expectAnomalies(userId: string, n: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await anomaliesOf(pair, userId)).toHaveLength(n);
}

const review = (t: TestApp, id: unknown, verdict: 'dismiss' | 'confirm', body: Record<string, unknown> = {}) =>
  t.http.post(`/admin/anomalies/${id as string}/${verdict}`).set(admin.bearer).send(body);

describe('failed_logins (suspend_user)', () => {
  it('three wrong passwords for one account from three addresses over both instances suspend it everywhere; dismiss lifts it', async () => {
    const user = await createUser(a);
    const session = await loginAs(b, user, from('203.0.113.10'));
    for (const [t, ip] of [[a, '198.51.100.1'], [b, '198.51.100.2']] as const) expect((await login(t, user, ip, 'wrong-password')).body.code).toBe('invalid_credentials');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await sessionStatus(b, session)).toBe('ok');

    expect((await login(a, user, '2001:db8:77::1', 'wrong-password')).body.code).toBe('invalid_credentials');
    // Detection is detached from the failing login; once raised, the other instance enforces it within the bound.
    const anomaly = await raised(pair, user.id);
    await eventually(revokedOn(b, session), BOUND_MS, 5);
    expect(anomaly).toMatchObject({ type: 'failed_logins', action: 'suspend_user', details: { failedLogins: 3, accountLocked: false, suspended: true } });
    expect(anomaly.sessionId).toBeUndefined();
    expect((await login(b, user, '203.0.113.10')).body.code).toBe('account_suspended');
    expect((await refresh(a, session.refreshToken, '203.0.113.10')).body.code).toBe('account_suspended');

    expect((await review(b, anomaly.id, 'dismiss', { note: 'forgot the new password' })).status).toBe(200);
    expect((await login(a, user, '203.0.113.10')).status).toBe(200);
  });

  it('confirm keeps the suspension', async () => {
    const user = await createUser(a);
    for (let i = 0; i < 3; i++) await login(i % 2 ? a : b, user, `198.51.100.${20 + i}`, 'wrong-password');
    const anomaly = await raised(pair, user.id);
    const confirmed = await review(a, anomaly.id, 'confirm', { note: 'credential stuffing' });
    expect(confirmed.body.anomaly).toMatchObject({ status: 'confirmed', action: 'suspend_user' });
    expect((await login(b, user, '203.0.113.10')).body.code).toBe('account_suspended');
  });

  it('guesses at a locked account count too (the lockout defends, the anomaly is for review)', async () => {
    const databaseUrl = a.databaseUrl;
    const t = await startApp({ databaseUrl, env: { ...common, LOGIN_LOCKOUT_THRESHOLD: '2', ANOMALY_POLICY: 'failed_logins=flag', REDIS_KEY_PREFIX: `locked-${Date.now()}:` } });
    try {
      const user = await createUser(t);
      expect((await login(t, user, '198.51.100.30', 'wrong-password')).body.code).toBe('invalid_credentials');
      expect((await login(t, user, '198.51.100.31', 'wrong-password')).body.code).toBe('invalid_credentials');
      expect((await login(t, user, '198.51.100.32', 'wrong-password')).body.code).toBe('account_locked');
      const anomaly = await raised(pair, user.id);
      expect(anomaly).toMatchObject({ type: 'failed_logins', action: 'flag', details: { failedLogins: 3, accountLocked: true } });
    } finally {
      await t.close();
    }
  });
});

describe('new_network (revoke_session)', () => {
  it('never on the first login; not within the known /24 or /48; a new network ends that session on the other instance', async () => {
    const user = await createUser(a);
    const first = await loginAs(a, user, from('203.0.113.5'));
    await loginAs(b, user, from('203.0.113.200'));
    await expectAnomalies(user.id, 0);

    const stranger = await loginAs(a, user, from('198.51.100.7'));
    const anomaly = await raised(pair, user.id);
    await eventually(revokedOn(b, stranger), BOUND_MS, 5);
    expect(await sessionStatus(b, first)).toBe('ok');
    expect(anomaly).toMatchObject({ type: 'new_network', sessionId: stranger.sessionId, action: 'revoke_session', network: '198.51.100.0/24' });
    const events = await a.http.get('/users/me/security-events').set(first.bearer);
    expect(events.body.events).toEqual([{ type: 'new_network', createdAt: anomaly.createdAt, network: '198.51.100.0/24' }]);

    // Once seen, the network is known: the next login from it is ordinary.
    const again = await loginAs(b, user, from('198.51.100.8'));
    await expectAnomalies(user.id, 1);
    expect(await sessionStatus(a, again)).toBe('ok');
    expect((await review(a, anomaly.id, 'confirm')).body.anomaly.status).toBe('confirmed');
    expect(await sessionStatus(a, stranger)).toBe('token_revoked');
  });

  it('IPv6: one /48 is one network', async () => {
    const user = await createUser(a);
    await loginAs(a, user, from('2001:db8:aa:1::1'));
    await loginAs(b, user, from('2001:db8:aa:ffff::2'));
    await expectAnomalies(user.id, 0);
    await loginAs(b, user, from('2001:db8:ab::1'));
    expect(await raised(pair, user.id)).toMatchObject({ type: 'new_network', network: '2001:db8:ab::/48' });
  });

  it('a network last used longer ago than ANOMALY_HISTORY_DAYS is new again', async () => {
    const user = await createUser(a);
    await loginAs(a, user, from('203.0.113.5'));
    await loginAs(a, user, from('198.51.100.40'));
    await raised(pair, user.id);
    await a.sql(`UPDATE user_networks SET last_seen_at = now() - interval '91 days' WHERE user_id = $1 AND network = '203.0.113.0/24'`, [user.id]);
    await loginAs(b, user, from('203.0.113.6'));
    await eventually(async () => expect(await anomaliesOf(pair, user.id, '&type=new_network')).toHaveLength(2), 3000, 10);
  });

  it('two logins from one new network at once raise one anomaly', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await createUser(a);
      await loginAs(a, user, from('203.0.113.5'));
      await Promise.all([loginAs(a, user, from('198.51.100.50')), loginAs(b, user, from('198.51.100.51'))]);
      await raised(pair, user.id);
      await expectAnomalies(user.id, 1);
    }
  });
});

describe('session_network_change (suspend_user)', () => {
  it('a refresh from another network than the previous one suspends the user everywhere; dismiss lifts it, confirm keeps it', async () => {
    const user = await createUser(a);
    const session = await loginAs(a, user, from('203.0.113.5'));
    const other = await loginAs(a, user, from('203.0.113.5'));
    const same = await refresh(b, session.refreshToken, '203.0.113.77');
    expect(same.status).toBe(200);
    await expectAnomalies(user.id, 0);

    const moved = await refresh(a, same.body.refreshToken, '198.51.100.9');
    expect(moved.status).toBe(200);
    const anomaly = await raised(pair, user.id);
    await eventually(revokedOn(b, other), BOUND_MS, 5);
    expect(anomaly).toMatchObject({
      type: 'session_network_change',
      sessionId: session.sessionId,
      action: 'suspend_user',
      network: '198.51.100.0/24',
      details: { previousNetwork: '203.0.113.0/24', suspended: true },
    });
    expect((await login(b, user, '203.0.113.5')).body.code).toBe('account_suspended');
    expect((await refresh(b, moved.body.refreshToken, '198.51.100.9')).body.code).toBe('account_suspended');

    expect((await review(b, anomaly.id, 'dismiss')).status).toBe(200);
    expect((await login(a, user, '203.0.113.5')).status).toBe(200);
  });

  it('confirm keeps the suspension', async () => {
    const user = await createUser(a);
    const session = await loginAs(a, user, from('203.0.113.5'));
    await refresh(b, session.refreshToken, '2001:db8:1::5');
    const anomaly = await raised(pair, user.id);
    expect(anomaly).toMatchObject({ type: 'session_network_change', network: '2001:db8:1::/48' });
    expect((await review(a, anomaly.id, 'confirm')).body.anomaly).toMatchObject({ status: 'confirmed', action: 'suspend_user' });
    expect((await login(b, user, '203.0.113.5')).body.code).toBe('account_suspended');
  });
});

describe('a user logging in and refreshing normally from one network', () => {
  it('raises nothing over hundreds of requests (a typo or two included)', async () => {
    const user = await createUser(a);
    let session = await loginAs(a, user, from('203.0.113.1'));
    let refreshToken = session.refreshToken;
    let requests = 1;
    for (let round = 0; round < 20; round++) {
      const t = round % 2 ? a : b;
      const ip = `203.0.113.${1 + (round % 200)}`;
      if (round % 10 === 3) expect((await login(t, user, ip, 'typo-password')).body.code).toBe('invalid_credentials');
      if (round % 5 === 0) {
        session = await loginAs(t, user, from(ip));
        refreshToken = session.refreshToken;
      }
      for (let i = 0; i < 12; i++) {
        const res = await refresh(i % 2 ? a : b, refreshToken, `203.0.113.${(round * 12 + i) % 250}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        refreshToken = res.body.refreshToken;
        expect((await (i % 2 ? b : a).http.get('/users/me').set({ Authorization: `Bearer ${res.body.accessToken}` })).status).toBe(200);
        requests += 2;
      }
      requests += 1;
    }
    expect(requests).toBeGreaterThan(300);
    await expectAnomalies(user.id, 0);
    expect((await refresh(a, refreshToken, '203.0.113.9')).status).toBe(200);
  });
});

describe('the last active admin', () => {
  it('is flagged, not suspended, by a suspend_user policy (and why is recorded); with a second admin the policy applies', async () => {
    const t = await startApp({ env: { ...common } });
    try {
      const only = await createUser(t, { role: 'admin' });
      const session = await loginAs(t, only, from('203.0.113.5'));
      const res = await refresh(t, session.refreshToken, '198.51.100.9');
      expect(res.status).toBe(200);
      let anomalies: Array<Record<string, unknown>> = [];
      await eventually(async () => {
        anomalies = (await t.http.get(`/admin/anomalies?userId=${only.id}`).set({ Authorization: `Bearer ${res.body.accessToken}` })).body.anomalies;
        expect(anomalies).toHaveLength(1);
      }, 3000, 10);
      expect(anomalies[0]).toMatchObject({ action: 'flag', details: { policyAction: 'suspend_user', notSuspended: 'last_active_admin' } });
      expect((await login(t, only, '203.0.113.5')).status).toBe(200);
      // An admin cannot escalate it to a suspension either (API.md: 409 last_admin).
      const escalate = await t.http.post(`/admin/anomalies/${anomalies[0].id as string}/confirm`).set({ Authorization: `Bearer ${res.body.accessToken}` }).send({ suspend: true });
      expect(escalate.status).toBe(409);
      expect(escalate.body.code).toBe('last_admin');

      await createUser(t, { role: 'admin' });
      const again = await loginAs(t, only, from('203.0.113.5'));
      await refresh(t, again.refreshToken, '2001:db8:9::1');
      await eventually(async () => expect((await login(t, only, '203.0.113.5')).body.code).toBe('account_suspended'), 3000, 10);
    } finally {
      await t.close();
    }
  });
});

