import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, createUser, loginAs, type LoggedIn, type TestUser } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

interface Issued {
  startedAt: number;
  kid: string;
  sessionId: string;
  refreshToken: string;
}

/**
 * Issue 8 #5: logins and refreshes in flight on two instances while the signing key is revoked
 * with revokeSessions=true. B has no Redis and a slow catch-up, so it keeps the revoked key as
 * its signing key for the whole run and must be refused by the database.
 */
describe('key revocation with revokeSessions=true racing logins and refreshes', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: LoggedIn;
  let users: TestUser[];

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    a = await startApp({ databaseUrl });
    b = await startApp({ databaseUrl, env: { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' } });
    admin = await createLoggedIn(a, { role: 'admin' });
    users = await Promise.all(Array.from({ length: 6 }, () => createUser(a)));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('ends every session that got a token from the key, and no request started after the revoke gets one', async () => {
    const kid = kidOf(admin.accessToken);
    const issued: Issued[] = [];
    const failures: string[] = [];
    // Load-independent pacing: revoke once every worker has been issued tokens, stop once every
    // worker has finished two requests started after the revoke answered (or after 20 s).
    let revokeAnsweredAt = Number.POSITIVE_INFINITY;
    const hardStop = Date.now() + 20_000;
    const issuedBy = new Map<number, Issued[]>();
    const record = (index: number, entry: Issued) => {
      issued.push(entry);
      issuedBy.set(index, [...(issuedBy.get(index) ?? []), entry]);
    };
    const startedAfter = (index: number) => (issuedBy.get(index) ?? []).filter((entry) => entry.startedAt > revokeAnsweredAt).length;

    // One chain per worker: log in, refresh a few times, log in again; a refused refresh (its
    // session was revoked with the key) starts over with a login.
    async function worker(index: number): Promise<void> {
      const user = users[index % users.length];
      let current: Issued | undefined;
      for (let step = 0; startedAfter(index) < 2 && Date.now() < hardStop; step++) {
        const t = (index + step) % 2 === 0 ? a : b;
        const startedAt = Date.now();
        if (!current || step % 5 === 0) {
          const login = await loginAs(t, user).catch((error: Error) => {
            failures.push(`login: ${error.message}`);
            return undefined;
          });
          if (!login) continue;
          current = { startedAt, kid: kidOf(login.accessToken), sessionId: login.sessionId, refreshToken: login.refreshToken };
          record(index, current);
          continue;
        }
        const res = await t.http.post('/auth/refresh').send({ refreshToken: current.refreshToken });
        if (res.status === 200) {
          current = { startedAt, kid: kidOf(res.body.accessToken), sessionId: res.body.sessionId, refreshToken: res.body.refreshToken };
          record(index, current);
        } else if (res.status === 401 && res.body.code === 'session_revoked') {
          current = undefined;
        } else {
          failures.push(`refresh ${res.status} ${JSON.stringify(res.body)}`);
          current = undefined;
        }
      }
    }

    const workers = Array.from({ length: 8 }, (_, index) => worker(index));
    while (issuedBy.size < 8 && Date.now() < hardStop) await new Promise((resolve) => setTimeout(resolve, 10));
    const revoke = await a.http.post(`/admin/keys/${kid}/revoke`).query({ revokeSessions: 'true' }).set(admin.bearer);
    revokeAnsweredAt = Date.now();
    expect(revoke.status, JSON.stringify(revoke.body)).toBe(204);
    await Promise.all(workers);

    expect(failures).toEqual([]);
    // The race did happen: tokens from the key before, tokens from its replacement after.
    expect(issued.filter((entry) => entry.kid === kid).length).toBeGreaterThan(0);
    const after = issued.filter((entry) => entry.startedAt > revokeAnsweredAt);
    expect(after.length).toBeGreaterThan(0);
    // Every session that ever got a token from the key is revoked, and none can refresh:
    // try the newest refresh token each of them was handed.
    const tainted = new Set(issued.filter((entry) => entry.kid === kid).map((entry) => entry.sessionId));
    const newest = new Map<string, string>();
    for (const entry of issued) newest.set(entry.sessionId, entry.refreshToken);
    for (const sessionId of tainted) {
      const [row] = await a.sql<{ revoked_reason: string | null }>('SELECT revoked_reason FROM sessions WHERE id = $1', [sessionId]);
      expect(row?.revoked_reason, sessionId).not.toBeNull();
      const res = await a.http.post('/auth/refresh').send({ refreshToken: newest.get(sessionId) });
      expect(res.status, `${sessionId}: ${JSON.stringify(res.body)}`).toBe(401);
    }
    // And in the database: no live session is linked to the revoked key.
    const live = await a.sql(
      `SELECT s.id FROM session_signing_keys k JOIN sessions s ON s.id = k.session_id WHERE k.kid = $1 AND s.revoked_at IS NULL`,
      [kid],
    );
    expect(live).toEqual([]);
    // No request that started once the revoke had answered got a token from the revoked key.
    expect(after.filter((entry) => entry.kid === kid)).toEqual([]);

  });
});
