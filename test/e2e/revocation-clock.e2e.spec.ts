import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const SKEW_MS = 30_000;
// A 20 s token lifetime and no retention floor: a revocation is remembered for about 24 s, less
// than the 30 s skew, so an instance that ages entries by a skewed clock forgets them at once.
const env = { ACCESS_TOKEN_TTL_SECONDS: '20', CLOCK_SKEW_SECONDS: '2', REVOCATION_RETENTION_SECONDS: '0' };

async function rejected(t: TestApp, bearer: { Authorization: string }): Promise<void> {
  const res = await t.http.get('/auth/session').set(bearer);
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.body.code).toBe('token_revoked');
}

describe('revocation times and memory under instance clock skew', () => {
  let inSync: TestApp;
  let behind: TestApp;
  let ahead: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    inSync = await startApp({ databaseUrl, env });
    behind = await startApp({ databaseUrl, env, clockOffsetMs: -SKEW_MS });
    ahead = await startApp({ databaseUrl, env, clockOffsetMs: SKEW_MS });
  });
  afterAll(async () => {
    await Promise.all([inSync?.close(), behind?.close(), ahead?.close()]);
  });

  it('a logout made on an instance whose clock runs 30 s behind is enforced by the others', async () => {
    const user = await createLoggedIn(inSync);
    expect((await behind.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    await rejected(behind, user.bearer);
    await eventually(() => rejected(inSync, user.bearer), 3000);
    await eventually(() => rejected(ahead, user.bearer), 3000);
  });

  it('an instance whose clock runs 30 s ahead still rejects a token revoked elsewhere', async () => {
    const user = await createLoggedIn(inSync);
    expect((await inSync.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    await eventually(() => rejected(ahead, user.bearer), 3000);
    await eventually(() => rejected(behind, user.bearer), 3000);
  });

  it('revocation events are stamped by the database clock, whichever instance revokes', async () => {
    const user = await createLoggedIn(inSync);
    expect((await behind.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    const [row] = await inSync.sql<{ skew_ms: number; session_skew_ms: number }>(
      `SELECT extract(epoch FROM (clock_timestamp() - e.created_at)) * 1000 AS skew_ms,
              extract(epoch FROM (clock_timestamp() - s.revoked_at)) * 1000 AS session_skew_ms
       FROM revocation_events e JOIN sessions s ON s.id = e.session_id WHERE e.session_id = $1`,
      [user.sessionId],
    );
    // Written moments ago by the database's clock, not 30 s in the past.
    expect(Number(row.skew_ms)).toBeGreaterThanOrEqual(0);
    expect(Number(row.skew_ms)).toBeLessThan(5000);
    expect(Number(row.session_skew_ms)).toBeLessThan(5000);
  });
});
