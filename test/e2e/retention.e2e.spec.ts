import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionService } from '../../src/retention/retention.service.js';
import { createLoggedIn, createUser } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const RETENTION_LOCK = 0x67617472;
const env = {
  RETENTION_INTERVAL_SECONDS: '0',
  RETENTION_BATCH_SIZE: '2',
  AUDIT_RETENTION_DAYS: '30',
  SESSION_RETENTION_DAYS: '7',
  ROTATED_REFRESH_TOKEN_RETENTION_DAYS: '3',
};

async function count(t: TestApp, sql: string, values: unknown[] = []): Promise<number> {
  const [row] = await t.sql<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, values);
  return Number(row.n);
}

/** One user with: a live session refreshed twice, a session revoked long ago, one expired long ago. */
async function seed(t: TestApp) {
  const live = await createLoggedIn(t);
  let refreshToken = live.refreshToken;
  for (let i = 0; i < 2; i++) {
    const res = await t.http.post('/auth/refresh').send({ refreshToken });
    expect(res.status).toBe(200);
    refreshToken = res.body.refreshToken;
  }
  const revoked = await createLoggedIn(t);
  expect((await t.http.post('/auth/logout').set(revoked.bearer)).status).toBe(204);
  const expired = await createLoggedIn(t);
  const recentlyRevoked = await createLoggedIn(t);
  expect((await t.http.post('/auth/logout').set(recentlyRevoked.bearer)).status).toBe(204);
  // Backdate: the live session's rotated tokens were used 4 days ago (retention 3).
  await t.sql(`UPDATE refresh_tokens SET used_at = now() - interval '4 days', created_at = now() - interval '4 days' WHERE session_id = $1 AND used_at IS NOT NULL`, [live.sessionId]);
  await t.sql(`UPDATE sessions SET revoked_at = now() - interval '8 days' WHERE id = $1`, [revoked.sessionId]);
  await t.sql(`UPDATE sessions SET expires_at = now() - interval '8 days' WHERE id = $1`, [expired.sessionId]);
  // Audit events: those of `revoked` are 31 days old (retention 30), the rest are fresh.
  await t.sql(`UPDATE audit_events SET created_at = now() - interval '31 days' WHERE user_id = $1`, [revoked.id]);
  // Revocation events older than the memory window, except the newest row.
  await t.sql(`UPDATE revocation_events SET created_at = now() - interval '2 hours' WHERE session_id = $1`, [revoked.sessionId]);
  return { live, revoked, expired, recentlyRevoked, refreshToken };
}

describe('retention', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('prunes what is past its retention, in batches, and leaves live rows alone', async () => {
    const { live, revoked, expired, recentlyRevoked, refreshToken } = await seed(a);
    const auditBefore = await count(a, `audit_events WHERE user_id <> $1`, [revoked.id]);
    const report = await a.app.get(RetentionService).runOnce();
    expect(report).toMatchObject({ refreshTokens: 2, sessions: 2 });
    expect(report!.auditEvents).toBeGreaterThanOrEqual(3);
    expect(report!.revocationEvents).toBeGreaterThanOrEqual(1);
    // The live session, its current token and its key link stay; the refresh still works.
    expect(await count(a, `refresh_tokens WHERE session_id = $1`, [live.sessionId])).toBe(1);
    expect(await count(a, `session_signing_keys WHERE session_id = $1`, [live.sessionId])).toBe(1);
    expect((await a.http.post('/auth/refresh').send({ refreshToken })).status).toBe(200);
    expect((await a.http.get('/users/me').set(live.bearer)).status).toBe(200);
    // Ended long ago: gone, with their tokens and key links.
    for (const gone of [revoked, expired]) {
      expect(await count(a, `sessions WHERE id = $1`, [gone.sessionId])).toBe(0);
      expect(await count(a, `refresh_tokens WHERE session_id = $1`, [gone.sessionId])).toBe(0);
    }
    // Ended recently: the session row stays (retention 7 days), its key link goes.
    expect(await count(a, `sessions WHERE id = $1`, [recentlyRevoked.sessionId])).toBe(1);
    expect(await count(a, `session_signing_keys WHERE session_id = $1`, [recentlyRevoked.sessionId])).toBe(0);
    // Only the old audit events went.
    expect(await count(a, `audit_events WHERE user_id = $1`, [revoked.id])).toBe(0);
    expect(await count(a, `audit_events WHERE user_id <> $1`, [revoked.id])).toBeGreaterThanOrEqual(auditBefore);
    expect(await count(a, `revocation_events WHERE session_id = $1`, [revoked.sessionId])).toBe(0);
    expect(await count(a, `revocation_events WHERE session_id = $1`, [recentlyRevoked.sessionId])).toBe(1);
    // A second run finds nothing more.
    expect(await a.app.get(RetentionService).runOnce()).toEqual({
      refreshTokens: 0, sessions: 0, sessionKeyLinks: 0, auditEvents: 0, revocationEvents: 0, lockouts: 0, anomalyCounters: 0, userNetworks: 0,
    });
  });

  it('never prunes while another instance holds the retention lock; two instances at once prune each row once', async () => {
    const { revoked } = await seed(a);
    const holder = new pg.Client({ connectionString: a.databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK]);
      expect(await b.app.get(RetentionService).runOnce()).toBeUndefined();
      expect(await count(b, `sessions WHERE id = $1`, [revoked.sessionId])).toBe(1);
      await holder.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
    } finally {
      await holder.end();
    }
    const reports = await Promise.all([a.app.get(RetentionService).runOnce(), b.app.get(RetentionService).runOnce()]);
    // Each batch is taken by one of them; whoever met the lock held stopped for this turn.
    expect(reports.some((report) => report !== undefined)).toBe(true);
    reports.push(await a.app.get(RetentionService).runOnce());
    const sessions = reports.reduce((sum, report) => sum + (report?.sessions ?? 0), 0);
    expect(sessions).toBe(2);
    expect(await count(a, `sessions WHERE id = $1`, [revoked.sessionId])).toBe(0);
  });

  it('keeps the newest revocation event even when it is old (the id high-water mark)', async () => {
    await a.sql(`UPDATE revocation_events SET created_at = now() - interval '2 hours'`);
    await a.app.get(RetentionService).runOnce();
    expect(await count(a, 'revocation_events')).toBe(1);
  });

  it('prunes ended anomaly counters and networks outside the history, keeping each user\'s most recent network', async () => {
    const user = await createUser(a);
    await a.sql(`INSERT INTO anomaly_counters (key, count, window_ends_at) VALUES ('ended', 3, now() - interval '1 second'), ('running', 2, now() + interval '5 minutes')`);
    await a.sql(
      `INSERT INTO user_networks (user_id, network, last_seen_at) VALUES
         ($1, '198.51.100.0/24', now() - interval '200 days'), ($1, '203.0.113.0/24', now() - interval '100 days')`,
      [user.id],
    );
    const report = await a.app.get(RetentionService).runOnce();
    expect(report).toMatchObject({ anomalyCounters: 1, userNetworks: 1 });
    expect(await a.sql(`SELECT key FROM anomaly_counters WHERE key IN ('ended', 'running')`)).toEqual([{ key: 'running' }]);
    expect(await a.sql(`SELECT network FROM user_networks WHERE user_id = $1`, [user.id])).toEqual([{ network: '203.0.113.0/24' }]);
  });
});
