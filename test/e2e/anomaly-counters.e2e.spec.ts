import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyCounters } from '../../src/anomalies/anomaly-counters.service.js';
import { createLoggedIn, eventually, loginAs } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

// The counters behind repeated_forbidden and failed_logins, on two instances: every hit reads
// back its own count, so exactly one hit per window reaches the threshold, on whichever instance.
const RS1 = { Authorization: `Basic ${Buffer.from('rs1:s3cret').toString('base64')}` };

describe.each([
  ['Redis', {}],
  ['PostgreSQL (no REDIS_URL)', { REDIS_URL: '' }],
])('anomaly counters in %s', (_store, storeEnv: Record<string, string>) => {
  let a: TestApp;
  let b: TestApp;
  const env = { ...storeEnv, INTROSPECTION_CLIENTS: 'rs1:s3cret', ANOMALY_FORBIDDEN_THRESHOLD: '5' };
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('sixty hits racing over two instances read back 1..60, each count once', async () => {
    const key = `race:${Date.now()}`;
    const counts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).app.get(AnomalyCounters).increment(key, 300)),
    );
    expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('a window that has ended starts again at 1', async () => {
    const key = `window:${Date.now()}`;
    const counters = a.app.get(AnomalyCounters);
    expect(await counters.increment(key, 1)).toBe(1);
    expect(await b.app.get(AnomalyCounters).increment(key, 1)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await counters.increment(key, 1)).toBe(1);
  });

  it('repeated_forbidden across both instances ends the session (revocation reaching the other instance)', async () => {
    const user = await createLoggedIn(a);
    const other = await loginAs(a, user);
    for (let i = 0; i < 5; i++) {
      const res = await (i % 2 ? a : b).http.post('/oauth/signals').set(RS1).send({ type: 'forbidden', sid: user.sessionId });
      expect(res.status).toBe(202);
    }
    // Without Redis the other instance learns it from the database catch-up loop (200 ms in tests).
    await eventually(async () => {
      for (const t of [a, b]) expect((await t.http.get('/auth/session').set(user.bearer)).body.code).toBe('token_revoked');
    }, 3000, 10);
    expect((await b.http.get('/auth/session').set(other.bearer)).status).toBe(200);
    expect(await a.sql(`SELECT type::text FROM anomalies WHERE user_id = $1`, [user.id])).toEqual([{ type: 'repeated_forbidden' }]);
    if (storeEnv.REDIS_URL === '') {
      const rows = await a.sql(`SELECT count FROM anomaly_counters WHERE key = $1`, [`forbidden:session:${user.sessionId}`]);
      expect(rows).toEqual([{ count: 5 }]);
    }
  });
});

describe('anomaly counters while Redis is unreachable', () => {
  it('fall back to PostgreSQL: counting goes on', async () => {
    const t = await startApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const counters = t.app.get(AnomalyCounters);
      expect(await counters.increment('down', 300)).toBe(1);
      expect(await counters.increment('down', 300)).toBe(2);
      expect(await t.sql(`SELECT count FROM anomaly_counters WHERE key = 'down'`)).toEqual([{ count: 2 }]);
    } finally {
      await t.close();
    }
  });
});
