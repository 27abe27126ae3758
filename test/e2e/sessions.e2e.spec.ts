import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withClient } from '../support/databases.js';
import { createLoggedIn, createUser, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { holdNextUserRead } from '../support/hold.js';
import { startApp, type TestApp } from '../support/test-app.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
}

async function sessionRow(t: TestApp, id: string) {
  const rows = await t.sql<{ revoked_at: Date | null; revoked_reason: string | null }>(
    'SELECT revoked_at, revoked_reason FROM sessions WHERE id = $1',
    [id],
  );
  return rows[0];
}

/** Backends of this app's database waiting for a lock. */
async function lockWaiters(): Promise<number> {
  const [row] = await t.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return row.n;
}

/** A session is either revoked in the database and refused everywhere, or live and fully working. */
async function expectConsistent(fresh: LoggedIn, label: string): Promise<'caught' | 'live'> {
  const row = await sessionRow(t, fresh.sessionId);
  const me = await t.http.get('/users/me').set(fresh.bearer);
  if (row?.revoked_at) {
    expectError(me, 401, 'token_revoked');
    expectError(await t.http.post('/auth/refresh').send({ refreshToken: fresh.refreshToken }), 401, 'session_revoked');
    return 'caught';
  }
  // A live session must not be a zombie that refreshes but whose tokens are all refused.
  expect(me.status, `${label}: live session, yet ${JSON.stringify(me.body)}`).toBe(200);
  const refreshed = await t.http.post('/auth/refresh').send({ refreshToken: fresh.refreshToken });
  expect(refreshed.status).toBe(200);
  expect((await t.http.get('/users/me').set({ Authorization: `Bearer ${refreshed.body.accessToken}` })).status).toBe(200);
  return 'live';
}

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});

afterAll(async () => {
  await t?.close();
});

describe('POST /auth/logout', () => {
  it('with a bearer token: 204, the session is revoked (logout), its access token and refresh token stop working', async () => {
    const me = await createLoggedIn(t);
    expect((await t.http.get('/users/me').set(me.bearer)).status).toBe(200);

    const res = await t.http.post('/auth/logout').set(me.bearer);
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    expect(res.text).toBe('');

    expect(await sessionRow(t, me.sessionId)).toMatchObject({ revoked_at: expect.any(Date), revoked_reason: 'logout' });
    expect(await t.sql('SELECT reason FROM revocation_events WHERE session_id = $1', [me.sessionId])).toEqual([{ reason: 'logout' }]);
    expect(await t.sql(`SELECT type FROM audit_events WHERE session_id = $1 AND type = 'logout'`, [me.sessionId])).toEqual([{ type: 'logout' }]);
    expectError(await t.http.get('/users/me').set(me.bearer), 401, 'token_revoked');
    expectError(await t.http.post('/auth/refresh').send({ refreshToken: me.refreshToken }), 401, 'session_revoked');
  });

  it('with the refresh token in the body (no bearer): 204 and that session is revoked', async () => {
    const me = await createLoggedIn(t);
    const res = await t.http.post('/auth/logout').send({ refreshToken: me.refreshToken });
    expect(res.status, JSON.stringify(res.body)).toBe(204);

    expect(await sessionRow(t, me.sessionId)).toMatchObject({ revoked_reason: 'logout' });
    expectError(await t.http.get('/users/me').set(me.bearer), 401, 'token_revoked');
    expectError(await t.http.post('/auth/refresh').send({ refreshToken: me.refreshToken }), 401, 'session_revoked');
  });

  it('only the one session ends; the user\'s other sessions keep working', async () => {
    const user = await createUser(t);
    const a = await loginAs(t, user);
    const b = await loginAs(t, user);
    expect((await t.http.post('/auth/logout').set(a.bearer)).status).toBe(204);

    expect((await t.http.get('/users/me').set(b.bearer)).status).toBe(200);
    expect((await t.http.post('/auth/refresh').send({ refreshToken: b.refreshToken })).status).toBe(200);
    expect((await sessionRow(t, b.sessionId))?.revoked_at).toBeNull();
  });

  it('logging out twice is not an error and records one revocation', async () => {
    const me = await createLoggedIn(t);
    expect((await t.http.post('/auth/logout').send({ refreshToken: me.refreshToken })).status).toBe(204);
    expect((await t.http.post('/auth/logout').send({ refreshToken: me.refreshToken })).status).toBe(204);
    expect(await t.sql('SELECT count(*)::int AS n FROM revocation_events WHERE session_id = $1', [me.sessionId])).toEqual([{ n: 1 }]);
  });

  it('with nothing to identify a session: 401, and an unknown refresh token: 401 invalid_refresh_token', async () => {
    expectError(await t.http.post('/auth/logout').send({}), 401, 'invalid_token');
    expectError(await t.http.post('/auth/logout').send({ refreshToken: 'unknown-token' }), 401, 'invalid_refresh_token');
    expectError(await t.http.post('/auth/logout').set('Authorization', 'Bearer a.b.c'), 401, 'invalid_token');
  });

  it('a refresh token cannot log out another user\'s session through someone else\'s bearer: the refresh token decides', async () => {
    const owner = await createLoggedIn(t);
    const other = await createLoggedIn(t);
    expect((await t.http.post('/auth/logout').set(other.bearer).send({ refreshToken: owner.refreshToken })).status).toBe(204);
    // The refresh token's own session ended (whoever holds it may end it), the bearer's did not.
    expect((await sessionRow(t, owner.sessionId))?.revoked_reason).toBe('logout');
    expect((await sessionRow(t, other.sessionId))?.revoked_at).toBeNull();
  });
});

describe('POST /auth/logout-all', () => {
  it('revokes every session of the user, rejects all their access tokens, and a new login works immediately', async () => {
    const user = await createUser(t);
    const sessions = [await loginAs(t, user), await loginAs(t, user), await loginAs(t, user)];
    const bystander = await createLoggedIn(t);
    for (const s of sessions) expect((await t.http.get('/users/me').set(s.bearer)).status).toBe(200);

    const res = await t.http.post('/auth/logout-all').set(sessions[0].bearer);
    expect(res.status, JSON.stringify(res.body)).toBe(204);

    const rows = await t.sql<{ revoked_reason: string | null }>('SELECT revoked_reason FROM sessions WHERE user_id = $1', [user.id]);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.revoked_reason).toBe('logout_all');
    expect(await t.sql('SELECT reason FROM revocation_events WHERE user_id = $1 AND session_id IS NULL', [user.id])).toEqual([{ reason: 'logout_all' }]);

    for (const s of sessions) {
      expectError(await t.http.get('/users/me').set(s.bearer), 401, 'token_revoked');
      expectError(await t.http.post('/auth/refresh').send({ refreshToken: s.refreshToken }), 401, 'session_revoked');
    }
    // Someone else is untouched.
    expect((await t.http.get('/users/me').set(bystander.bearer)).status).toBe(200);

    // Immediately afterwards, a new login works, and so does its refresh and the refreshed token.
    const again = await loginAs(t, user);
    expect((await t.http.get('/users/me').set(again.bearer)).status).toBe(200);
    const refreshed = await t.http.post('/auth/refresh').send({ refreshToken: again.refreshToken });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect((await t.http.get('/users/me').set({ Authorization: `Bearer ${refreshed.body.accessToken}` })).status).toBe(200);
    expect((await sessionRow(t, again.sessionId))?.revoked_at).toBeNull();
  });

  it('a login racing with logout-all ends up consistent: revoked in the database and rejected, or live and working', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 16; i++) {
      const current = await loginAs(t, user);
      // The login starts first; logout-all lands somewhere inside it (0 to 3.5 ms later). Which side
      // wins is up to timing: each outcome is checked for consistency here, and both are forced below.
      const racingLogin = loginAs(t, user);
      await new Promise((resolve) => setTimeout(resolve, (i % 8) * 0.5));
      expect((await t.http.post('/auth/logout-all').set(current.bearer)).status).toBe(204);
      await expectConsistent(await racingLogin, `iteration ${i}`);
    }
  });

  it('a login still inside its transaction when logout-all arrives is revoked by it', async () => {
    const user = await createUser(t);
    const current = await loginAs(t, user);
    // Hold the login inside its transaction after it read the clock (its auth_time) and wrote its
    // session, just before it commits: the window where a cut-off committing meanwhile would miss
    // the session yet reject all of its tokens. A deferred trigger makes the commit wait for a
    // lock the holder has.
    await t.sql(`CREATE FUNCTION hold_login_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$`);
    await t.sql(`CREATE CONSTRAINT TRIGGER hold_login_commit AFTER INSERT ON sessions
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hold_login_commit()`);
    try {
      await withClient(t.databaseUrl, async (holder) => {
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock(4242)');
        const racingLogin = loginAs(t, user);
        await eventually(async () => expect(await lockWaiters()).toBe(1), 5000, 10);
        const logoutAll = t.http.post('/auth/logout-all').set(current.bearer).then((res) => res);
        // logout-all waits for the login's lock on the user row (and so for its commit).
        await eventually(async () => expect(await lockWaiters()).toBe(2), 5000, 10);
        await holder.query('COMMIT');
        const fresh = await racingLogin;
        expect((await logoutAll).status).toBe(204);
        expect(await expectConsistent(fresh, 'held login')).toBe('caught');
      });
    } finally {
      await t.sql(`DROP TRIGGER hold_login_commit ON sessions`);
      await t.sql(`DROP FUNCTION hold_login_commit()`);
    }
  });

  it('a login commits only once the database clock has left its auth_time\'s millisecond', async () => {
    // A logout-all waiting for the login's lock reads its cut-off right after the login commits:
    // the same millisecond as auth_time would spare the session's tokens. A deferred trigger
    // reads the clock as each login commits.
    await t.sql(`CREATE TABLE login_commit_clock (session_id uuid, committed_at timestamptz)`);
    await t.sql(`CREATE FUNCTION record_login_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO login_commit_clock VALUES (NEW.id, clock_timestamp()); RETURN NULL; END $$`);
    await t.sql(`CREATE CONSTRAINT TRIGGER login_commit_clock AFTER INSERT ON sessions
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_login_commit()`);
    try {
      const user = await createUser(t);
      const logins = await Promise.all(Array.from({ length: 12 }, () => loginAs(t, user)));
      const rows = await t.sql<{ session_id: string; past: boolean }>(
        `SELECT c.session_id, date_trunc('milliseconds', c.committed_at) > s.created_at AS past
         FROM login_commit_clock c JOIN sessions s ON s.id = c.session_id WHERE s.user_id = $1`,
        [user.id],
      );
      expect(rows.map((row) => row.session_id).sort()).toEqual(logins.map((login) => login.sessionId).sort());
      expect(rows.filter((row) => !row.past)).toEqual([]);
    } finally {
      await t.sql(`DROP TRIGGER login_commit_clock ON sessions`);
      await t.sql(`DROP FUNCTION record_login_commit()`);
      await t.sql(`DROP TABLE login_commit_clock`);
    }
  });

  it('a login that checked the password before logout-all but opens its session after it stays live', async () => {
    const user = await createUser(t);
    const current = await loginAs(t, user);
    // Hold the login between reading the user (password checked) and its transaction.
    const { read, release } = holdNextUserRead(t);
    const racingLogin = loginAs(t, user);
    await read;
    expect((await t.http.post('/auth/logout-all').set(current.bearer)).status).toBe(204);
    release();
    expect(await expectConsistent(await racingLogin, 'login after the cut-off')).toBe('live');
  });

  it('also kills the tokens of a session opened by an instance whose clock runs ahead', async () => {
    const user = await createUser(t);
    const current = await loginAs(t, user);
    const ahead = await loginAs(t, user);
    // Another instance's clock is 2 s ahead: its session and every token of it carry that time.
    await t.sql(`UPDATE sessions SET created_at = now() + interval '2 seconds' WHERE id = $1`, [ahead.sessionId]);
    const refreshed = await t.http.post('/auth/refresh').send({ refreshToken: ahead.refreshToken });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const aheadBearer = { Authorization: `Bearer ${refreshed.body.accessToken}` };
    expect((await t.http.get('/users/me').set(aheadBearer)).status).toBe(200);

    expect((await t.http.post('/auth/logout-all').set(current.bearer)).status).toBe(204);

    expect((await sessionRow(t, ahead.sessionId))?.revoked_reason).toBe('logout_all');
    expectError(await t.http.get('/users/me').set(aheadBearer), 401, 'token_revoked');
  });

  it('a login right after logout-all works even on an instance whose clock runs behind', async () => {
    const user = await createUser(t);
    const first = await loginAs(t, user);
    expect((await t.http.post('/auth/logout-all').set(first.bearer)).status).toBe(204);
    // This instance's clock is now 3 s behind the one that made the cut-off (the database's).
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() - 3000);
    try {
      const again = await loginAs(t, user);
      expect((await t.http.get('/users/me').set(again.bearer)).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it('requires a bearer token', async () => {
    expectError(await t.http.post('/auth/logout-all'), 401, 'invalid_token');
  });
});

describe('GET /sessions', () => {
  it('lists the caller\'s live sessions only, flagging the current one', async () => {
    const user = await createUser(t);
    const first = await loginAs(t, user, { 'User-Agent': 'browser-one' });
    const second = await loginAs(t, user, { 'User-Agent': 'browser-two' });
    const ended = await loginAs(t, user);
    const expired = await loginAs(t, user);
    await createLoggedIn(t); // another user's session must not show up
    expect((await t.http.post('/auth/logout').set(ended.bearer)).status).toBe(204);
    await t.sql(`UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.sessionId]);

    const res = await t.http.get('/sessions').set(second.bearer);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byId = new Map<string, Record<string, unknown>>(res.body.sessions.map((s: { id: string }) => [s.id, s]));
    expect([...byId.keys()].sort()).toEqual([first.sessionId, second.sessionId].sort());
    expect(byId.get(second.sessionId)).toEqual({
      id: second.sessionId,
      createdAt: expect.stringMatching(ISO_DATE),
      lastUsedAt: expect.stringMatching(ISO_DATE),
      expiresAt: expect.stringMatching(ISO_DATE),
      userAgent: 'browser-two',
      ip: expect.any(String),
      current: true,
    });
    expect(byId.get(first.sessionId)).toMatchObject({ current: false, userAgent: 'browser-one' });

    const fromFirst = await t.http.get('/sessions').set(first.bearer);
    expect(fromFirst.body.sessions.find((s: { current: boolean }) => s.current).id).toBe(first.sessionId);
  });
});

describe('DELETE /sessions/:id', () => {
  it('revokes one of the caller\'s own sessions: 204, revoked in the database, its token rejected', async () => {
    const user = await createUser(t);
    const keeper = await loginAs(t, user);
    const lost = await loginAs(t, user);

    const res = await t.http.delete(`/sessions/${lost.sessionId}`).set(keeper.bearer);
    expect(res.status, JSON.stringify(res.body)).toBe(204);

    expect(await sessionRow(t, lost.sessionId)).toMatchObject({ revoked_at: expect.any(Date), revoked_reason: expect.any(String) });
    expectError(await t.http.get('/users/me').set(lost.bearer), 401, 'token_revoked');
    expectError(await t.http.post('/auth/refresh').send({ refreshToken: lost.refreshToken }), 401, 'session_revoked');
    expect((await t.http.get('/users/me').set(keeper.bearer)).status).toBe(200);
    const listed = await t.http.get('/sessions').set(keeper.bearer);
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([keeper.sessionId]);
  });

  it('the current session can delete itself', async () => {
    const me = await createLoggedIn(t);
    expect((await t.http.delete(`/sessions/${me.sessionId}`).set(me.bearer)).status).toBe(204);
    expectError(await t.http.get('/users/me').set(me.bearer), 401, 'token_revoked');
  });

  it('another user\'s session answers 404 not_found and stays alive', async () => {
    const me = await createLoggedIn(t);
    const victim = await createLoggedIn(t);

    expectError(await t.http.delete(`/sessions/${victim.sessionId}`).set(me.bearer), 404, 'not_found');
    expect((await sessionRow(t, victim.sessionId))?.revoked_at).toBeNull();
    expect((await t.http.get('/users/me').set(victim.bearer)).status).toBe(200);
    expect(await t.sql('SELECT 1 FROM revocation_events WHERE session_id = $1', [victim.sessionId])).toEqual([]);
  });

  it('an unknown session id answers 404 not_found', async () => {
    const me = await createLoggedIn(t);
    expectError(await t.http.delete(`/sessions/${randomUUID()}`).set(me.bearer), 404, 'not_found');
  });

  it('a non-UUID id answers 400 validation_failed with details', async () => {
    const me = await createLoggedIn(t);
    const res = await t.http.delete('/sessions/not-a-uuid').set(me.bearer);
    expectError(res, 400, 'validation_failed');
    expect(res.body.details).toEqual([{ field: 'id', message: expect.any(String) }]);
    expectError(await t.http.delete(`/sessions/${"1' OR '1'='1"}`).set(me.bearer), 400, 'validation_failed');
  });

  it('requires a bearer token', async () => {
    expectError(await t.http.delete(`/sessions/${randomUUID()}`), 401, 'invalid_token');
  });
});
