import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationService } from '../../src/tokens/revocation/revocation.service.js';
import { withClient } from '../support/databases.js';
import { createLoggedIn, eventually } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

/** The server's revocation write lock (src/tokens/revocation/revocation-events.repository.ts). */
const REVOCATION_WRITE_LOCK = 0x67617465;
/** This test's own advisory lock: the trigger below makes the first logout wait on it. */
const HOLD = 0x686f6c64;

async function waitersOn(t: TestApp, key: number): Promise<number> {
  const [row] = await t.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid::text::bigint = $1 AND objsubid = 1`,
    [key],
  );
  return row.n;
}

async function session(t: TestApp, bearer: { Authorization: string }) {
  const res = await t.http.get('/auth/session').set(bearer);
  return { status: res.status, code: (res.body as { code?: string }).code };
}

/**
 * "Nothing is ever lost" (DESIGN.md): an instance that hears nothing over Redis reads revocations
 * with id > its cursor. Ids are taken when a row is inserted but become visible at commit, so
 * without the write lock a transaction that took id N and commits after another one committed
 * N+1 would be skipped for good by a reader that already moved its cursor to N+1.
 */
describe('revocation ids become visible in id order (the revocation write lock)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    a = await startApp({ databaseUrl });
    // B has no Redis and a catch-up beat of a minute: it learns only from the reads this test makes.
    b = await startApp({ databaseUrl, env: { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' } });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('a logout that took id N and commits after N+1 is still enforced by an instance that read N+1 first', async () => {
    const first = await createLoggedIn(a);
    const second = await createLoggedIn(a);
    expect((await session(b, first.bearer)).status).toBe(200);
    expect((await session(b, second.bearer)).status).toBe(200);

    // Hold the first logout's transaction open right after it inserted its revocation event (id N).
    await a.sql(`
      CREATE FUNCTION hold_first_logout() RETURNS trigger AS $$
      BEGIN
        IF NEW.session_id = '${first.sessionId}'::uuid THEN PERFORM pg_advisory_xact_lock(${HOLD}); END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER hold_first_logout AFTER INSERT ON revocation_events FOR EACH ROW EXECUTE FUNCTION hold_first_logout();`);
    try {
      await withClient(a.databaseUrl, async (holder) => {
        await holder.query(`SELECT pg_advisory_lock(${HOLD})`);
        const firstLogout = a.http.post('/auth/logout').set(first.bearer).then((res) => res);
        await eventually(async () => expect(await waitersOn(a, HOLD)).toBe(1), 5000, 10);

        // The second logout either commits N+1 now (no write lock) or waits for the first (the lock).
        let secondDone = false;
        const secondLogout = a.http.post('/auth/logout').set(second.bearer).then((res) => {
          secondDone = true;
          return res;
        });
        await eventually(async () => expect(secondDone || (await waitersOn(a, REVOCATION_WRITE_LOCK)) === 1).toBe(true), 5000, 10);

        // B's catch-up reads the database while the first logout is still uncommitted.
        await b.app.get(RevocationService).syncNow();

        await holder.query(`SELECT pg_advisory_unlock(${HOLD})`);
        expect((await firstLogout).status).toBe(204);
        expect((await secondLogout).status).toBe(204);
      });
    } finally {
      await a.sql(`DROP TRIGGER hold_first_logout ON revocation_events; DROP FUNCTION hold_first_logout();`);
    }

    // The scenario really happened: the first logout's event has the lower id.
    const events = await a.sql<{ id: string; session_id: string }>(
      `SELECT id::text AS id, session_id::text AS session_id FROM revocation_events WHERE session_id = ANY($1::uuid[]) ORDER BY id`,
      [[first.sessionId, second.sessionId]],
    );
    expect(events.map((event) => event.session_id)).toEqual([first.sessionId, second.sessionId]);

    // B's next catch-up must still find N, although it already saw N+1 or later.
    await b.app.get(RevocationService).syncNow();
    expect(b.app.get(RevocationService).lastAppliedId).toBeGreaterThanOrEqual(BigInt(events[1].id));
    expect(await session(b, second.bearer)).toEqual({ status: 401, code: 'token_revoked' });
    expect(await session(b, first.bearer)).toEqual({ status: 401, code: 'token_revoked' });
  });
});

/**
 * The revoking instance puts its own commit in order (cursor, feed, metrics) without reading it
 * back when its id directly follows the cursor; after a gap it reads, as any instance does.
 */
describe('the revoking instance follows its own commits', () => {
  it('in order before transaction() returns when nothing lies between, through a read after a burnt id, each exactly once', async () => {
    const t = await startApp({ env: { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' } });
    try {
      const sut = t.app.get(RevocationService);
      await sut.syncNow();
      const seen: string[] = [];
      const subscription = sut.ordered$.subscribe((revocation) => seen.push(revocation.id));
      const revokeOne = () => sut.transaction((_tx, revoke) => revoke.record({ sid: randomUUID(), userId: randomUUID(), reason: 'admin' }));

      const first = await revokeOne();
      // No read could have finished yet: it is in order already.
      expect(sut.lastAppliedId).toBe(BigInt(first.id));
      expect(seen).toEqual([first.id]);

      // A rolled-back transaction took the next id: the following commit cannot know nothing lies between.
      await t.sql(`SELECT nextval('revocation_events_id_seq')`);
      const second = await revokeOne();
      expect(BigInt(second.id)).toBe(BigInt(first.id) + 2n);
      expect(sut.lastAppliedId).toBe(BigInt(first.id));
      await eventually(async () => expect(sut.lastAppliedId).toBe(BigInt(second.id)), 2000, 5);

      const third = await revokeOne();
      expect(sut.lastAppliedId).toBe(BigInt(third.id));
      await sut.syncNow();
      subscription.unsubscribe();
      expect(seen).toEqual([first.id, second.id, third.id]);
    } finally {
      await t.close();
    }
  });
});
