import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationService } from '../../src/tokens/revocation/revocation.service.js';
import type { Revocation } from '../../src/tokens/revocation/revocation.types.js';
import { LISTENER_APPLICATION_NAME } from '../../src/tokens/revocation/revocation-listener.js';
import { createLoggedIn, eventually, type LoggedIn } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const status = async (t: TestApp, user: LoggedIn) => (await t.http.get('/auth/session').set(user.bearer)).status;

/** Logs a user in on `from`, logs it out, and resolves with how long `to` took to reject its token. */
async function propagation(from: TestApp, to: TestApp, timeoutMs: number): Promise<number> {
  const user = await createLoggedIn(from);
  expect(await status(to, user)).toBe(200);
  const started = Date.now();
  expect((await from.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
  await eventually(async () => expect(await status(to, user)).toBe(401), timeoutMs, 5);
  return Date.now() - started;
}

const listenerPids = async (t: TestApp) =>
  (
    await t.sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [
      LISTENER_APPLICATION_NAME,
    ])
  ).map((row) => row.pid);

describe('PostgreSQL LISTEN/NOTIFY without Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    // No Redis and a catch-up once a minute: whatever B learns within the test came over NOTIFY.
    const env = { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('a logout on A is enforced by B well within a second', async () => {
    expect(await propagation(a, b, 1000)).toBeLessThan(1000);
    expect(await propagation(b, a, 1000)).toBeLessThan(1000);
  });

  it('reconnects when its connection is killed, catches up on what it missed, and is pushed to again', async () => {
    const before = await listenerPids(b);
    expect(before).toHaveLength(2);
    await b.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [
      LISTENER_APPLICATION_NAME,
    ]);
    // Revoked while nobody listens: the catch-up after reconnecting brings it.
    expect(await propagation(a, b, 5000)).toBeLessThan(5000);
    await eventually(async () => {
      const now = await listenerPids(b);
      expect(now).toHaveLength(2);
      expect(now.filter((pid) => before.includes(pid))).toEqual([]);
    }, 5000, 20);
    expect(await propagation(a, b, 1000)).toBeLessThan(1000);
  });

  it('with REVOCATION_LISTEN=false nothing listens and nothing is pushed', async () => {
    const quiet = await startApp({ databaseUrl: a.databaseUrl, env: { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' } });
    try {
      expect(await listenerPids(quiet)).toHaveLength(2);
      const user = await createLoggedIn(a);
      expect((await a.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await status(quiet, user)).toBe(200);
    } finally {
      await quiet.close();
    }
  });
});

describe('the catch-up read', () => {
  it('applies 40,000 events across digit boundaries exactly once each, in numeric id order', async () => {
    const t = await startApp({ env: { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' } });
    try {
      const sut = t.app.get(RevocationService);
      const seen: string[] = [];
      const subscription = sut.ordered$.subscribe((revocation: Revocation) => seen.push(revocation.id));
      const start = sut.lastAppliedId;
      // Ids from 9,990 on: read as text, '10000' < '9990' and a page of them would move the cursor back and forth.
      await t.sql(`SELECT setval('revocation_events_id_seq', 9989)`);
      await t.sql(`
        INSERT INTO revocation_events (session_id, user_id, reason, created_at)
        SELECT gen_random_uuid(), gen_random_uuid(), 'logout', now() FROM generate_series(1, 40000)`);
      await sut.syncNow();
      subscription.unsubscribe();

      const ids = seen.map(BigInt);
      expect(ids).toHaveLength(40_000);
      expect(start).toBeLessThan(9990n);
      expect(ids[0]).toBe(9990n);
      for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1] + 1n) expect.fail(`event ${ids[i - 1]} is followed by ${ids[i]}`);
      expect(sut.lastAppliedId).toBe(ids.at(-1));
    } finally {
      await t.close();
    }
  }, 60_000);
});
