import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountLockoutService } from '../../src/users/account-lockout.service.js';
import { createUser, eventually, uniqueEmail } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Three checks, then a lock far longer than any test (a slow machine never sees one lift).
const lockoutEnv = {
  LOGIN_LOCKOUT_THRESHOLD: '3',
  LOGIN_LOCKOUT_BASE_SECONDS: '60',
  LOGIN_LOCKOUT_MAX_SECONDS: '120',
  LOGIN_LOCKOUT_DECAY_SECONDS: '600',
};
// Locks of 1 s, 2 s, 2 s (the cap), to watch them lift and grow.
const shortLocks = { LOGIN_LOCKOUT_BASE_SECONDS: '1', LOGIN_LOCKOUT_MAX_SECONDS: '2' };

async function login(t: TestApp, email: string, password: string, ip?: string) {
  const request = t.http.post('/auth/login');
  if (ip) void request.set('x-forwarded-for', ip);
  return request.send({ email, password });
}

function expectLocked(res: { status: number; body: unknown; headers: Record<string, string> }, retryAfter?: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(423);
  expect(res.body).toEqual({ statusCode: 423, code: 'account_locked', message: expect.any(String) });
  const header = Number(res.headers['retry-after']);
  expect(header).toBeGreaterThan(0);
  if (retryAfter !== undefined) expect(header).toBe(retryAfter);
}

// The same behaviour from both stores: Redis (REDIS_URL set) and PostgreSQL (no Redis).
describe.each<{ store: string; env: Record<string, string> }>([
  { store: 'Redis', env: {} },
  { store: 'PostgreSQL', env: { REDIS_URL: '' } },
])('per-account lockout ($store)', ({ env }) => {
  let t: TestApp;
  let short: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { ...lockoutEnv, ...env, TRUST_PROXY: '1' } });
    short = await startApp({ databaseUrl: t.databaseUrl, env: { ...lockoutEnv, ...shortLocks, ...env, REDIS_KEY_PREFIX: `${t.config.get('REDIS_KEY_PREFIX')}short:` } });
  });
  afterAll(async () => {
    await Promise.all([t?.close(), short?.close()]);
  });

  it('locks after the threshold across five addresses; the right password then gets the same 423', async () => {
    const user = await createUser(t);
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let address = 1; address <= 5; address++) {
        statuses.push((await login(t, user.email, 'wrong password!', `198.51.100.${address}`)).status);
      }
    }
    // Before: every address had its own per-IP budget (5 addresses × 30/min = 150 guesses).
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.slice(3).every((status) => status === 423)).toBe(true);
    expectLocked(await login(t, user.email, user.password, '198.51.100.9'));
    const [event] = await t.sql<{ type: string; details: { lockedForSeconds: number } }>(
      `SELECT type, details FROM audit_events WHERE user_id = $1 AND type = 'account_locked'`,
      [user.id],
    );
    expect(event?.details.lockedForSeconds).toBe(60);
  });

  it('concurrent guesses cannot overshoot the budget', async () => {
    const user = await createUser(t);
    const results = await Promise.all(Array.from({ length: 20 }, () => login(t, user.email, 'wrong password!')));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 423)).toHaveLength(17);
  });

  it('concurrent right and wrong passwords for one account never fail: a success resetting the record races the next check', async () => {
    const user = await createUser(t);
    // Each success deletes the record while other checks are charging it; two rounds of 24.
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) => login(t, user.email, i % 6 === 5 ? 'wrong password!' : user.password)),
      );
      const unexpected = results.filter((res) => ![200, 401, 423].includes(res.status)).map((res) => `${res.status} ${JSON.stringify(res.body)}`);
      expect(unexpected).toEqual([]);
      expect(results.filter((res) => res.status === 200).length).toBeGreaterThan(0);
    }
  });

  it('an unknown email is counted and locked exactly like an existing account', async () => {
    const email = uniqueEmail('nobody');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(t, email, 'wrong password!')).status);
    expect(statuses).toEqual([401, 401, 401, 423, 423]);
  });

  it('backs off exponentially up to the cap; the lock lifts by itself and success resets everything', async () => {
    const user = await createUser(short);
    for (let i = 0; i < 3; i++) expect((await login(short, user.email, 'wrong password!')).status).toBe(401);
    const seen: number[] = [];
    for (const [round, expected] of [1, 2, 2].entries()) {
      const locked = await login(short, user.email, 'wrong password!');
      expectLocked(locked, expected);
      seen.push(Number(locked.headers['retry-after']));
      await sleep(expected * 1000 + 300);
      // One check once the lock lifts; a failure there makes the next attempt lock for longer.
      if (round < 2) expect((await login(short, user.email, 'wrong password!')).status).toBe(401);
    }
    expect(seen).toEqual([1, 2, 2]);
    // The lock has lifted by itself: the right password works and resets the record.
    expect((await login(short, user.email, user.password)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login(short, user.email, 'wrong password!')).status).toBe(401);
    expectLocked(await login(short, user.email, 'wrong password!'), 1);
  }, 30_000);

  it('a success resets the count of failures', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 2; i++) expect((await login(t, user.email, 'wrong password!')).status).toBe(401);
    expect((await login(t, user.email, user.password)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login(t, user.email, 'wrong password!')).status).toBe(401);
  });

  it('AccountLockoutService.clear(userId) lifts a lock at once (password reset) and is audited', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 4; i++) await login(t, user.email, 'wrong password!');
    expectLocked(await login(t, user.email, user.password));
    await t.app.get(AccountLockoutService).clear(user.id);
    expect((await login(t, user.email, user.password)).status).toBe(200);
    // The audit row is written detached (recordDetached): it follows the unlock, it does not gate it.
    await eventually(async () => {
      const events = await t.sql(`SELECT 1 FROM audit_events WHERE user_id = $1 AND type = 'account_unlocked'`, [user.id]);
      expect(events).toHaveLength(1);
    }, 5000);
  });

  it('the password endpoints of a signed-in user share the account budget', async () => {
    const user = await createUser(t);
    const session = await login(t, user.email, user.password);
    const bearer = { Authorization: `Bearer ${session.body.accessToken}` };
    for (let i = 0; i < 3; i++) {
      const res = await t.http.post('/users/me/password').set(bearer).send({ currentPassword: 'wrong password!', newPassword: 'a new password 123' });
      expect(res.status).toBe(401);
    }
    expectLocked(await t.http.delete('/users/me').set(bearer).send({ password: user.password }));
    expectLocked(await login(t, user.email, user.password));
  });
});

describe('per-account lockout decays', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { ...lockoutEnv, ...shortLocks, LOGIN_LOCKOUT_DECAY_SECONDS: '2' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('failures older than the decay are forgotten', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 3; i++) expect((await login(t, user.email, 'wrong password!')).status).toBe(401);
    await sleep(2500);
    for (let i = 0; i < 3; i++) expect((await login(t, user.email, 'wrong password!')).status).toBe(401);
    expectLocked(await login(t, user.email, 'wrong password!'), 1);
    // The lock and the level decay too: after lock + decay, a fresh start at the base duration.
    await sleep(3500);
    for (let i = 0; i < 3; i++) expect((await login(t, user.email, 'wrong password!')).status).toBe(401);
    expectLocked(await login(t, user.email, 'wrong password!'), 1);
  });
});
