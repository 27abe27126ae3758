import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { createTestDatabase, startApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

// Issue 8 #15: whoever can publish on the Redis channel must not be able to change what any
// instance considers revoked. A message names an event id; the instance reads it back.

const status = async (t: TestApp, user: LoggedIn) => (await t.http.get('/auth/session').set(user.bearer)).status;

/** The counter of dropped push messages on `t`'s /metrics, by reason. */
async function ignoredPushes(t: TestApp, reason: 'malformed' | 'unknown'): Promise<number> {
  const res = await t.http.get('/metrics');
  const line = res.text.split('\n').find((row) => row.startsWith(`gatehouse_revocation_push_ignored_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('forged messages on the Redis revocation channel', () => {
  let a: TestApp;
  let b: TestApp;
  let attacker: Redis;
  let channel: string;
  const forge = (message: unknown) => attacker.publish(channel, JSON.stringify({ from: 'attacker', message }));
  /** A real revocation published after the forged ones: once B enforces it, B has handled them (one channel keeps order). */
  const handledEverythingSoFar = async () => {
    const sentinel = await createLoggedIn(a);
    expect((await a.http.post('/auth/logout').set(sentinel.bearer)).status).toBe(204);
    await eventually(async () => expect(await status(b, sentinel)).toBe(401), 2000, 5);
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    // Catch-up once a minute: within the test, B learns of revocations over Redis only.
    const env = { REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
    channel = b.config.get('REVOCATION_CHANNEL');
    attacker = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await attacker.connect();
  });
  afterAll(async () => {
    attacker?.disconnect();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('cannot resurrect a revoked session with a later user-wide cut-off that spares it, whatever id it names', async () => {
    const first = await createLoggedIn(a);
    const second = await loginAs(a, first);
    expect((await a.http.post('/auth/logout-all').set(first.bearer)).status).toBe(204);
    await eventually(async () => expect(await status(b, second)).toBe(401), 1000, 5);
    const [event] = await a.sql<{ id: string }>(`SELECT max(id)::text AS id FROM revocation_events`);
    const unknownBefore = await ignoredPushes(b, 'unknown');

    const spare = (id: unknown) => ({
      type: 'revocation',
      revocation: { id, sub: first.id, notBefore: Date.now() + 60_000, exceptSid: second.sessionId, reason: 'logout', revokedAt: Date.now() },
    });
    await forge(spare(event.id)); // the real event's id with a forged payload
    await forge(spare(String(BigInt(event.id) + 1000n))); // an id nobody wrote
    await forge(spare(Number(event.id) + 1));

    await handledEverythingSoFar();
    expect(await status(b, second)).toBe(401);
    expect(await status(b, first)).toBe(401);
    await eventually(async () => expect(await ignoredPushes(b, 'unknown')).toBeGreaterThan(unknownBefore), 2000, 10);
  });

  it('cannot revoke a live session either, and garbage is dropped and counted', async () => {
    const victim = await createLoggedIn(a);
    expect(await status(b, victim)).toBe(200);
    const malformedBefore = await ignoredPushes(b, 'malformed');

    await forge({ type: 'revocation', revocation: { id: '999999999', sid: victim.sessionId, reason: 'admin', revokedAt: Date.now() } });
    await attacker.publish(channel, 'not json');
    await attacker.publish(channel, 'null');
    await forge({ type: 'revocation', revocation: { id: '-1', sid: victim.sessionId } });
    await forge({ type: 'revocation', revocation: { id: '99999999999999999999', sid: victim.sessionId } });
    await forge({ type: 'something-else' });

    await handledEverythingSoFar();
    expect(await status(b, victim)).toBe(200);
    await eventually(async () => expect(await ignoredPushes(b, 'malformed')).toBe(malformedBefore + 5), 2000, 10);
  });

  it('a real revocation still reaches the other instance within a second', async () => {
    const user = await createLoggedIn(a);
    expect(await status(b, user)).toBe(200);
    const started = Date.now();
    expect((await a.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    await eventually(async () => expect(await status(b, user)).toBe(401), 1000, 5);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
