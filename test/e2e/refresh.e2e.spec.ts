import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createLoggedIn, createUser, loginAs, type LoggedIn } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { AuditService } from '../../src/audit/audit.service.js';

const ORIGIN = 'https://app.example.test';

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
/** Moves a used token's rotation into the past, as if the grace window had run out meanwhile. */
async function ageRotation(t: TestApp, token: string, seconds: number): Promise<void> {
  const rows = await t.sql('UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => $2) WHERE token_hash = $1 AND used_at IS NOT NULL RETURNING id', [sha256(token), seconds]);
  expect(rows).toHaveLength(1);
}

type TokenRow = {
  id: string;
  session_id: string;
  used_at: Date | null;
  successor_id: string | null;
};

async function tokenRow(t: TestApp, token: string): Promise<TokenRow | undefined> {
  const rows = await t.sql<TokenRow>('SELECT id, session_id, used_at, successor_id FROM refresh_tokens WHERE token_hash = $1', [sha256(token)]);
  return rows[0];
}

async function sessionRow(t: TestApp, id: string) {
  const rows = await t.sql<{ revoked_at: Date | null; revoked_reason: string | null; last_used_at: Date }>(
    'SELECT revoked_at, revoked_reason, last_used_at FROM sessions WHERE id = $1',
    [id],
  );
  return rows[0];
}

function refresh(t: TestApp, refreshToken: string) {
  return t.http.post('/auth/refresh').send({ refreshToken });
}

function setCookie(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const header = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? (header as string[]) : typeof header === 'string' ? [header] : [];
  return cookies.find((cookie) => cookie.startsWith(`${name}=`));
}

function cookieValue(cookie: string): string {
  return decodeURIComponent(cookie.split(';')[0].split('=').slice(1).join('='));
}

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});

afterAll(async () => {
  await t?.close();
});

describe('rotation', () => {
  it('answers a token response with a new refresh token and marks the presented one used', async () => {
    const me = await createLoggedIn(t);
    const res = await refresh(t, me.refreshToken);

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      tokenType: 'Bearer',
      accessToken: expect.any(String),
      expiresIn: 300,
      refreshToken: expect.any(String),
      refreshExpiresIn: expect.any(Number),
      sessionId: me.sessionId,
      user: { id: me.id, email: me.email, role: 'user', status: 'active' },
    });
    expect(res.body.refreshToken).not.toBe(me.refreshToken);
    expect(res.body.accessToken).not.toBe(me.accessToken);

    const old = await tokenRow(t, me.refreshToken);
    const next = await tokenRow(t, res.body.refreshToken);
    expect(old?.used_at).toBeInstanceOf(Date);
    expect(next).toMatchObject({ session_id: me.sessionId, used_at: null, successor_id: null });
    expect(old?.successor_id).toBe(next?.id);

    // Both access tokens work (the old one was not revoked by the rotation), and the new refresh token rotates again.
    expect((await t.http.get('/auth/session').set(bearer(res.body.accessToken))).status).toBe(200);
    expect((await t.http.get('/auth/session').set(me.bearer)).status).toBe(200);
    const again = await refresh(t, res.body.refreshToken);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.refreshToken).not.toBe(res.body.refreshToken);
  });

  it('keeps the absolute session lifetime: refreshExpiresIn counts down to the login\'s expiry, not a fresh 30 days', async () => {
    const me = await createLoggedIn(t);
    await t.sql(`UPDATE sessions SET expires_at = now() + interval '1 hour' WHERE id = $1`, [me.sessionId]);
    const res = await refresh(t, me.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body.refreshExpiresIn).toBeGreaterThan(3500);
    expect(res.body.refreshExpiresIn).toBeLessThanOrEqual(3600);
  });

  it('8 parallel refreshes of one token all succeed with the same successor, and only one successor is stored', async () => {
    const me = await createLoggedIn(t);
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(t, me.refreshToken)));

    for (const res of results) expect(res.status, JSON.stringify(res.body)).toBe(200);
    const successors = new Set(results.map((res) => res.body.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = successors;
    expect(successor).not.toBe(me.refreshToken);

    const rows = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [me.sessionId]);
    expect(rows).toEqual([{ n: 2 }]);
    const old = await tokenRow(t, me.refreshToken);
    const next = await tokenRow(t, successor as string);
    expect(old?.successor_id).toBe(next?.id);
    expect((await sessionRow(t, me.sessionId))?.revoked_at).toBeNull();

    // The shared successor is a real, working refresh token.
    const onward = await refresh(t, successor as string);
    expect(onward.status, JSON.stringify(onward.body)).toBe(200);
  });

  it('a repeat within the grace window answers the same successor and keeps the session alive', async () => {
    const me = await createLoggedIn(t);
    const first = await refresh(t, me.refreshToken);
    const second = await refresh(t, me.refreshToken);

    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.refreshToken).toBe(first.body.refreshToken);
    expect((await sessionRow(t, me.sessionId))?.revoked_at).toBeNull();
    expect(await t.sql('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [me.sessionId])).toEqual([{ n: 2 }]);
  });

  it('a repeat within the grace window is audited and records the session\'s use (issue 8 #13)', async () => {
    const me = await createLoggedIn(t);
    const first = await t.http.post('/auth/refresh').set('User-Agent', 'first-tab').send({ refreshToken: me.refreshToken });
    expect(first.status).toBe(200);
    // Move the first use into the past (instead of sleeping) so the repeat's use is visibly later.
    await t.sql(`UPDATE sessions SET last_used_at = last_used_at - interval '1 second' WHERE id = $1`, [me.sessionId]);
    const afterFirst = await sessionRow(t, me.sessionId);
    const second = await t.http.post('/auth/refresh').set('User-Agent', 'second-tab').send({ refreshToken: me.refreshToken });
    expect(second.status, JSON.stringify(second.body)).toBe(200);

    const [row] = await t.sql<{ last_used_at: Date; user_agent: string; ip: string | null }>(
      'SELECT last_used_at, user_agent, ip FROM sessions WHERE id = $1',
      [me.sessionId],
    );
    expect(row.last_used_at.getTime()).toBeGreaterThan(afterFirst.last_used_at.getTime());
    expect(row.user_agent).toBe('second-tab');
    expect(row.ip).toEqual(expect.any(String));
    // Routine refresh events are batched off the rotation statement (issue 10): write the batch.
    await t.app.get(AuditService).flushRoutine();
    const audit = await t.sql<{ type: string; user_id: string; user_agent: string; details: { tokenId: string } | null }>(
      `SELECT type, user_id, user_agent, details FROM audit_events WHERE session_id = $1 AND type LIKE 'token_refresh%' ORDER BY id`,
      [me.sessionId],
    );
    const presented = await tokenRow(t, me.refreshToken);
    expect(audit).toEqual([
      { type: 'token_refreshed', user_id: me.id, user_agent: 'first-tab', details: null },
      { type: 'token_refresh_repeated', user_id: me.id, user_agent: 'second-tab', details: { tokenId: presented!.id } },
    ]);
  });

  it('refresh events are batched off the rotation, yet the audit listing shows them at once', async () => {
    const me = await createLoggedIn(t);
    const admin = await loginAs(t, await createUser(t, { role: 'admin' }));
    const rotated = await refresh(t, me.refreshToken);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    // The listing writes this instance's batch first: no wait, no sleep.
    const listed = await t.http.get(`/admin/audit?userId=${me.id}&type=token_refreshed`).set(bearer(admin.accessToken));
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.events).toEqual([expect.objectContaining({ type: 'token_refreshed', userId: me.id, sessionId: me.sessionId })]);
  });
});

describe('reuse after the grace window', () => {
  let shortGrace: TestApp;

  beforeAll(async () => {
    shortGrace = await startApp({ env: { REFRESH_REUSE_GRACE_SECONDS: '1' } });
  });

  afterAll(async () => {
    await shortGrace?.close();
  });

  it('answers 401 refresh_token_reused, revokes the session, records it, and kills its live access tokens', async () => {
    const me = await createLoggedIn(shortGrace);
    const rotated = await refresh(shortGrace, me.refreshToken);
    expect(rotated.status).toBe(200);
    const liveAccess = rotated.body.accessToken as string;
    expect((await shortGrace.http.get('/auth/session').set(bearer(liveAccess))).status).toBe(200);
    expect((await shortGrace.http.get('/users/me').set(me.bearer)).status).toBe(200);

    await ageRotation(shortGrace, me.refreshToken, 5);
    const reused = await refresh(shortGrace, me.refreshToken);
    expectError(reused, 401, 'refresh_token_reused');
    expect(reused.body).not.toHaveProperty('refreshToken');

    const session = await sessionRow(shortGrace, me.sessionId);
    expect(session?.revoked_at).toBeInstanceOf(Date);
    expect(session?.revoked_reason).toBe('refresh_reuse');
    const revocations = await shortGrace.sql('SELECT reason FROM revocation_events WHERE session_id = $1', [me.sessionId]);
    expect(revocations).toEqual([{ reason: 'refresh_reuse' }]);
    const audit = await shortGrace.sql<{ type: string; user_id: string }>(
      `SELECT type, user_id FROM audit_events WHERE session_id = $1 AND type = 'refresh_token_reused'`,
      [me.sessionId],
    );
    expect(audit).toEqual([{ type: 'refresh_token_reused', user_id: me.id }]);

    // Every access token of the session dies at once: the one from login and the one from the refresh.
    expectError(await shortGrace.http.get('/auth/session').set(bearer(liveAccess)), 401, 'token_revoked');
    expectError(await shortGrace.http.get('/users/me').set(me.bearer), 401, 'token_revoked');
    // The thief's (or victim's) successor refresh token is dead too.
    expectError(await refresh(shortGrace, rotated.body.refreshToken), 401, 'session_revoked');
    // Presenting the stolen token again is still refused, and revokes nothing twice.
    expectError(await refresh(shortGrace, me.refreshToken), 401, 'session_revoked');
    expect(await shortGrace.sql('SELECT count(*)::int AS n FROM revocation_events WHERE session_id = $1', [me.sessionId])).toEqual([{ n: 1 }]);
  });

  it('leaves the user\'s other sessions alone', async () => {
    const user = await createUser(shortGrace);
    const victim = await loginAs(shortGrace, user);
    const other = await loginAs(shortGrace, user);
    await refresh(shortGrace, victim.refreshToken);
    await ageRotation(shortGrace, victim.refreshToken, 5);
    expectError(await refresh(shortGrace, victim.refreshToken), 401, 'refresh_token_reused');

    expect((await shortGrace.http.get('/users/me').set(other.bearer)).status).toBe(200);
    expect((await refresh(shortGrace, other.refreshToken)).status).toBe(200);
    expect((await sessionRow(shortGrace, other.sessionId))?.revoked_at).toBeNull();
  });
});

describe('refused refreshes', () => {
  it('a revoked session answers 401 session_revoked', async () => {
    const me = await createLoggedIn(t);
    expect((await t.http.post('/auth/logout').set(me.bearer)).status).toBe(204);
    expectError(await refresh(t, me.refreshToken), 401, 'session_revoked');
    expect((await tokenRow(t, me.refreshToken))?.used_at).toBeNull();
  });

  it.each([
    ['an unknown token', randomBytes(32).toString('base64url')],
    ['a malformed token', '%%% not a refresh token %%%'],
    ['a one-character token', 'x'],
  ])('%s answers 401 invalid_refresh_token', async (_label, token) => {
    expectError(await refresh(t, token), 401, 'invalid_refresh_token');
  });

  it('the stored hash itself is not a refresh token', async () => {
    const me = await createLoggedIn(t);
    expectError(await refresh(t, sha256(me.refreshToken)), 401, 'invalid_refresh_token');
  });

  it('no token at all answers 401 invalid_refresh_token; a non-string one 400 validation_failed', async () => {
    expectError(await t.http.post('/auth/refresh').send({}), 401, 'invalid_refresh_token');
    expectError(await t.http.post('/auth/refresh').send({ refreshToken: 42 }), 400, 'validation_failed');
    expectError(await t.http.post('/auth/refresh').send({ refreshToken: 'x', extra: 1 }), 400, 'validation_failed');
  });

  it('a session past its absolute expiry answers 401 invalid_refresh_token and issues nothing', async () => {
    const me = await createLoggedIn(t);
    await t.sql(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [me.sessionId]);
    expectError(await refresh(t, me.refreshToken), 401, 'invalid_refresh_token');
    expect((await tokenRow(t, me.refreshToken))?.used_at).toBeNull();
    expect(await t.sql('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [me.sessionId])).toEqual([{ n: 1 }]);
  });

  it('a suspended user answers 403 account_suspended and issues nothing', async () => {
    const me = await createLoggedIn(t);
    await t.sql(`UPDATE users SET status = 'suspended' WHERE id = $1`, [me.id]);
    expectError(await refresh(t, me.refreshToken), 403, 'account_suspended');
    expect((await tokenRow(t, me.refreshToken))?.used_at).toBeNull();

    // Unsuspended, the same refresh token works again.
    await t.sql(`UPDATE users SET status = 'active' WHERE id = $1`, [me.id]);
    expect((await refresh(t, me.refreshToken)).status).toBe(200);
  });
});

describe('cookie mode (SPA)', () => {
  async function cookieLogin(): Promise<{ me: LoggedIn; cookie: string; body: Record<string, unknown> }> {
    const user = await createUser(t);
    const res = await t.http.post('/auth/login').set('X-Auth-Mode', 'cookie').send({ email: user.email, password: user.password });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const cookie = setCookie(res, 'gatehouse_refresh');
    expect(cookie).toBeDefined();
    return {
      me: { ...user, accessToken: res.body.accessToken, refreshToken: cookieValue(cookie!), sessionId: res.body.sessionId, bearer: bearer(res.body.accessToken) },
      cookie: cookie!,
      body: res.body,
    };
  }

  it('login sets the refresh token in an HttpOnly; Secure; SameSite=Strict; Path=/auth cookie, never in the body', async () => {
    const { me, cookie, body } = await cookieLogin();

    expect(body).not.toHaveProperty('refreshToken');
    expect(body).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String), expiresIn: 300, sessionId: me.sessionId });
    const attributes = cookie.split(';').map((part) => part.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('secure');
    expect(attributes).toContain('samesite=strict');
    expect(attributes).toContain('path=/auth');
    // The cookie lives exactly as long as the session may be refreshed (seconds, not milliseconds).
    const maxAge = Number(attributes.find((part) => part.startsWith('max-age='))?.slice('max-age='.length));
    expect(maxAge).toBeGreaterThan(2_592_000 - 60);
    expect(maxAge).toBeLessThanOrEqual(2_592_000);
    // The cookie carries a real refresh token of this session.
    expect((await tokenRow(t, me.refreshToken))?.session_id).toBe(me.sessionId);
  });

  it('a cookie refresh without the CSRF proof answers 403 csrf_rejected and rotates nothing', async () => {
    const { me } = await cookieLogin();
    const cookieHeader = `gatehouse_refresh=${encodeURIComponent(me.refreshToken)}`;

    const bare = await t.http.post('/auth/refresh').set('Cookie', cookieHeader).send({});
    expectError(bare, 403, 'csrf_rejected');
    const originOnly = await t.http.post('/auth/refresh').set('Cookie', cookieHeader).set('Origin', ORIGIN).send({});
    expectError(originOnly, 403, 'csrf_rejected');
    const headerOnly = await t.http.post('/auth/refresh').set('Cookie', cookieHeader).set('X-Requested-With', 'gatehouse').send({});
    expectError(headerOnly, 403, 'csrf_rejected');
    const wrongOrigin = await t.http
      .post('/auth/refresh')
      .set('Cookie', cookieHeader)
      .set('Origin', 'https://evil.example.test')
      .set('X-Requested-With', 'gatehouse')
      .send({});
    expectError(wrongOrigin, 403, 'csrf_rejected');

    expect((await tokenRow(t, me.refreshToken))?.used_at).toBeNull();
  });

  it('a cookie refresh with an allowed Origin and X-Requested-With: gatehouse rotates the cookie', async () => {
    const { me } = await cookieLogin();
    const res = await t.http
      .post('/auth/refresh')
      .set('Cookie', `gatehouse_refresh=${encodeURIComponent(me.refreshToken)}`)
      .set('Origin', ORIGIN)
      .set('X-Requested-With', 'gatehouse')
      .send({});

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).not.toHaveProperty('refreshToken');
    expect(res.body.sessionId).toBe(me.sessionId);
    const rotated = setCookie(res, 'gatehouse_refresh');
    expect(rotated).toBeDefined();
    expect(rotated).toMatch(/HttpOnly/i);
    const successor = cookieValue(rotated!);
    expect(successor).not.toBe(me.refreshToken);
    expect((await tokenRow(t, me.refreshToken))?.successor_id).toBe((await tokenRow(t, successor))?.id);
  });

  it('CORS lets the configured SPA origin send credentials and the CSRF headers, and nobody else', async () => {
    const preflight = await t.http
      .options('/auth/refresh')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-requested-with,x-auth-mode');
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-headers']?.toLowerCase()).toEqual(expect.stringContaining('x-requested-with'));
    expect(preflight.headers['access-control-allow-headers']?.toLowerCase()).toEqual(expect.stringContaining('x-auth-mode'));

    const foreign = await t.http
      .options('/auth/refresh')
      .set('Origin', 'https://evil.example.test')
      .set('Access-Control-Request-Method', 'POST');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a cookie logout needs the CSRF proof too; with it the session ends and the cookie is cleared', async () => {
    const { me } = await cookieLogin();
    const cookieHeader = `gatehouse_refresh=${encodeURIComponent(me.refreshToken)}`;

    expectError(await t.http.post('/auth/logout').set('Cookie', cookieHeader).send({}), 403, 'csrf_rejected');
    expect((await sessionRow(t, me.sessionId))?.revoked_at).toBeNull();

    const res = await t.http.post('/auth/logout').set('Cookie', cookieHeader).set('Origin', ORIGIN).set('X-Requested-With', 'gatehouse').send({});
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    expect((await sessionRow(t, me.sessionId))?.revoked_reason).toBe('logout');
    const cleared = setCookie(res, 'gatehouse_refresh');
    expect(cleared).toBeDefined();
    expect(cookieValue(cleared!)).toBe('');
    expect(cleared).toMatch(/Path=\/auth/i);
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });
});
