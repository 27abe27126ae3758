import { createPublicKey, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createLoggedIn, createUser, eventually, loginAs, uniqueEmail } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
}

function decodeJwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as Record<string, unknown>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});

afterAll(async () => {
  await t?.close();
});

describe('POST /auth/register', () => {
  it('creates the user and answers 201 with the user object, never a hash', async () => {
    const email = uniqueEmail('reg');
    const res = await t.http.post('/auth/register').send({ email, password: 'a good password', name: 'Ada Lovelace' });

    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({
      user: {
        id: expect.stringMatching(UUID),
        email,
        emailVerified: false,
        name: 'Ada Lovelace',
        role: 'user',
        status: 'active',
        createdAt: expect.stringMatching(ISO_DATE),
      },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/\$2[aby]\$|password/i);

    const rows = await t.sql<{ email: string; password_hash: string; role: string; status: string; name: string }>(
      'SELECT email, password_hash, role, status, name FROM users WHERE id = $1',
      [res.body.user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email, role: 'user', status: 'active', name: 'Ada Lovelace' });
    expect(rows[0].password_hash).toMatch(/^\$2[aby]\$04\$/);
    expect(rows[0].password_hash).not.toContain('a good password');
  });

  it('trims the email and stores it lower-cased; name is optional (null)', async () => {
    const local = `Mixed.Case-${Date.now()}`;
    const res = await t.http.post('/auth/register').send({ email: `   ${local}@Example.TEST  `, password: 'a good password' });

    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.user.email).toBe(`${local.toLowerCase()}@example.test`);
    expect(res.body.user.name).toBeNull();
    const rows = await t.sql('SELECT email FROM users WHERE id = $1', [res.body.user.id]);
    expect(rows).toEqual([{ email: `${local.toLowerCase()}@example.test` }]);

    // Logging in with yet another spelling of the same address works.
    const login = await t.http.post('/auth/login').send({ email: ` ${local.toUpperCase()}@EXAMPLE.test`, password: 'a good password' });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.user.id).toBe(res.body.user.id);
  });

  it('answers 409 email_taken for an existing email in another case, and creates nothing', async () => {
    const user = await createUser(t);
    const res = await t.http.post('/auth/register').send({ email: `  ${user.email.toUpperCase()} `, password: 'another password' });

    expectError(res, 409, 'email_taken');
    const rows = await t.sql('SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [user.email]);
    expect(rows).toEqual([{ n: 1 }]);
    // The original password still opens the account; the second one does not.
    await loginAs(t, user);
    const second = await t.http.post('/auth/login').send({ email: user.email, password: 'another password' });
    expectError(second, 401, 'invalid_credentials');
  });

  it.each([
    ['a bad email', { email: 'not-an-email', password: 'a good password' }, 'email'],
    ['a missing email', { password: 'a good password' }, 'email'],
    ['a short password', { email: 'short@example.test', password: '1234567' }, 'password'],
    ['a long password', { email: 'long@example.test', password: 'x'.repeat(257) }, 'password'],
    ['a non-string password', { email: 'num@example.test', password: 12345678 }, 'password'],
    ['an unknown field', { email: 'role@example.test', password: 'a good password', role: 'admin' }, 'role'],
  ])('answers 400 validation_failed with details for %s, and creates nothing', async (_label, body, field) => {
    const before = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM users');
    const res = await t.http.post('/auth/register').send(body);

    expectError(res, 400, 'validation_failed');
    expect(res.body.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
    expect(JSON.stringify(res.body)).not.toMatch(/stack|at \w+ \(/);
    expect(await t.sql('SELECT count(*)::int AS n FROM users')).toEqual(before);
  });

  it('accepts passwords of exactly 8 and exactly 256 characters', async () => {
    for (const password of ['k7#vQ2!m', 'y'.repeat(256)]) {
      const user = await createUser(t, { password });
      await loginAs(t, user);
    }
  });

  it('answers 400 validation_failed for malformed JSON, in the API error shape', async () => {
    const res = await t.http.post('/auth/register').set('Content-Type', 'application/json').send('{"email": "a@example.test",');
    expectError(res, 400, 'validation_failed');
    expect(Object.keys(res.body).sort()).toEqual(expect.arrayContaining(['code', 'message', 'statusCode']));
    expect(res.body.message).not.toMatch(/position|Unexpected/);
  });

  it('answers 400 validation_failed for a name with a NUL character (PostgreSQL text cannot hold it), and creates nothing', async () => {
    const email = uniqueEmail('nul');
    const res = await t.http.post('/auth/register').send({ email, password: 'long enough', name: 'Ada\u0000Lovelace' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.details).toEqual([{ field: 'name', message: expect.any(String) }]);
    expect(await t.sql('SELECT 1 FROM users WHERE email = $1', [email])).toHaveLength(0);
  });

  it('answers 400 validation_failed for an empty JSON body', async () => {
    const res = await t.http.post('/auth/register').set('Content-Type', 'application/json').send('');
    expectError(res, 400, 'validation_failed');
  });

  it('lets exactly one of several simultaneous registrations of one email through; the rest get 409 email_taken', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      ['Race', 'RACE', 'race', ' race ', 'rAce'].map((variant, i) =>
        t.http.post('/auth/register').send({ email: `  ${email.replace('race', variant.trim())} `, password: `password-number-${i}` }),
      ),
    );
    expect(results.map((res) => res.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const res of results.filter((r) => r.status === 409)) expectError(res, 409, 'email_taken');
    expect(await t.sql('SELECT count(*)::int AS n FROM users WHERE email = $1', [email])).toEqual([{ n: 1 }]);
  });

  it('answers 413 payload_too_large for a body over 100 kB, and creates nothing', async () => {
    const email = uniqueEmail('big');
    const res = await t.http.post('/auth/register').send({ email, password: 'a good password', name: 'n'.repeat(101 * 1024) });
    expectError(res, 413, 'payload_too_large');
    expect(await t.sql('SELECT 1 FROM users WHERE email = $1', [email])).toEqual([]);
  });
});

describe('POST /auth/login', () => {
  it('answers the token response of API.md and opens a session', async () => {
    const user = await createUser(t);
    const res = await t.http.post('/auth/login').set('User-Agent', 'vitest-agent/1.0').send({ email: user.email, password: user.password });

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      tokenType: 'Bearer',
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expiresIn: 300,
      refreshToken: expect.stringMatching(/^[\w-]{43,}$/),
      refreshExpiresIn: expect.any(Number),
      sessionId: expect.stringMatching(UUID),
      user: { id: user.id, email: user.email, emailVerified: false, name: null, role: 'user', status: 'active', createdAt: expect.stringMatching(ISO_DATE) },
    });
    expect(res.body.refreshExpiresIn).toBeGreaterThan(2_592_000 - 60);
    expect(res.body.refreshExpiresIn).toBeLessThanOrEqual(2_592_000);

    const sessions = await t.sql<{ user_id: string; revoked_at: Date | null; user_agent: string; expires_at: Date }>(
      'SELECT user_id, revoked_at, user_agent, expires_at FROM sessions WHERE id = $1',
      [res.body.sessionId],
    );
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ user_id: user.id, revoked_at: null, user_agent: 'vitest-agent/1.0' });
    // The refresh token is stored only as its hash.
    const tokens = await t.sql<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens WHERE session_id = $1', [res.body.sessionId]);
    expect(tokens).toHaveLength(1);
    expect(tokens[0].token_hash).not.toBe(res.body.refreshToken);
    expect(tokens[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    const audit = await t.sql('SELECT type FROM audit_events WHERE session_id = $1', [res.body.sessionId]);
    expect(audit).toEqual([{ type: 'login_succeeded' }]);
  });

  it('answers the same 401 invalid_credentials body for an unknown email and a wrong password, and opens no session', async () => {
    const user = await createUser(t);
    const unknown = await t.http.post('/auth/login').send({ email: uniqueEmail('nobody'), password: user.password });
    const wrong = await t.http.post('/auth/login').send({ email: user.email, password: `${user.password}!` });

    expectError(unknown, 401, 'invalid_credentials');
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.status).toBe(unknown.status);
    expect(await t.sql('SELECT id FROM sessions WHERE user_id = $1', [user.id])).toEqual([]);
  });

  it('tells passwords apart past byte 72: only the registered one logs in', async () => {
    const prefix = 'Z'.repeat(80);
    const user = await createUser(t, { password: `${prefix}-registered` });

    const impostor = await t.http.post('/auth/login').send({ email: user.email, password: `${prefix}-impostor!` });
    expectError(impostor, 401, 'invalid_credentials');
    const truncated = await t.http.post('/auth/login').send({ email: user.email, password: 'Z'.repeat(72) });
    expectError(truncated, 401, 'invalid_credentials');
    await loginAs(t, user);

    // The same with multi-byte characters (80 bytes of 'é' before the difference).
    const wide = await createUser(t, { password: `${'é'.repeat(40)}1` });
    const wideImpostor = await t.http.post('/auth/login').send({ email: wide.email, password: `${'é'.repeat(40)}2` });
    expectError(wideImpostor, 401, 'invalid_credentials');
    await loginAs(t, wide);
  });

  it('answers 400 validation_failed for a missing password or an unknown field', async () => {
    expectError(await t.http.post('/auth/login').send({ email: 'a@example.test' }), 400, 'validation_failed');
    const extra = await t.http.post('/auth/login').send({ email: 'a@example.test', password: 'whatever1', remember: true });
    expectError(extra, 400, 'validation_failed');
    expect(extra.body.details).toEqual([{ field: 'remember', message: expect.any(String) }]);
  });

  it('answers 403 account_suspended to a suspended user with the right password (and invalid_credentials with a wrong one)', async () => {
    const user = await createUser(t);
    await t.sql(`UPDATE users SET status = 'suspended' WHERE id = $1`, [user.id]);

    expectError(await t.http.post('/auth/login').send({ email: user.email, password: user.password }), 403, 'account_suspended');
    expectError(await t.http.post('/auth/login').send({ email: user.email, password: 'wrong-password' }), 401, 'invalid_credentials');
    expect(await t.sql('SELECT id FROM sessions WHERE user_id = $1', [user.id])).toEqual([]);
  });
});

describe('rate limiting', () => {
  it('answers 429 rate_limited with Retry-After once an IP exceeds RATE_LIMIT_AUTH_PER_MINUTE on the auth endpoints', async () => {
    // Its own counters: instances sharing a Redis prefix share one budget (and its blocks).
    const prefix = `gatehouse-test:limited-${randomUUID()}:`;
    const limited = await startApp({ databaseUrl: t.databaseUrl, env: { RATE_LIMIT_AUTH_PER_MINUTE: '3', REDIS_KEY_PREFIX: prefix } });
    try {
      const attempt = () => limited.http.post('/auth/login').send({ email: 'nobody@example.test', password: 'wrong-password' });
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
      const res = await attempt();
      expectError(res, 429, 'rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // Token verification is not rate limited: a logged-in caller is unaffected.
      const me = await createLoggedIn(t);
      expect((await limited.http.get('/users/me').set(me.bearer)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('login timing', () => {
  let slow: TestApp;

  beforeAll(async () => {
    // A realistic cost, so a skipped bcrypt compare would stand out against the noise.
    slow = await startApp({ env: { BCRYPT_COST: '8' } });
  });

  afterAll(async () => {
    await slow?.close();
  });

  it('an unknown email costs about as much as a wrong password (both run one bcrypt compare)', async () => {
    const user = await createUser(slow);
    const time = async (email: string): Promise<number> => {
      const started = process.hrtime.bigint();
      const res = await slow.http.post('/auth/login').send({ email, password: 'definitely-wrong' });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      expect(res.status).toBe(401);
      return elapsed;
    };
    // Warm up both paths (JIT, connection pool, the dummy hash).
    await time(user.email);
    await time(uniqueEmail('ghost'));

    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 10; i++) {
      unknown.push(await time(uniqueEmail('ghost')));
      wrong.push(await time(user.email));
    }
    const ratio = median(unknown) / median(wrong);
    expect(ratio, `unknown ${median(unknown).toFixed(1)} ms vs wrong ${median(wrong).toFixed(1)} ms`).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // The bound is meaningful only if a compare dominates the request: cost 8 is several ms.
    expect(median(wrong)).toBeGreaterThan(5);
  });
});

describe('GET /users/me and GET /auth/session', () => {
  it('GET /users/me answers the caller\'s user object', async () => {
    const me = await createLoggedIn(t);
    const res = await t.http.get('/users/me').set(me.bearer);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      user: { id: me.id, email: me.email, emailVerified: false, name: null, role: 'user', status: 'active', createdAt: expect.stringMatching(ISO_DATE) },
    });
  });

  it('GET /users/me reads the current row (a name changed in the database shows)', async () => {
    const me = await createLoggedIn(t);
    await t.sql(`UPDATE users SET name = 'Renamed' WHERE id = $1`, [me.id]);
    const res = await t.http.get('/users/me').set(me.bearer);
    expect(res.body.user.name).toBe('Renamed');
  });

  it('GET /users/me without a token, or with a malformed one, answers 401 invalid_token', async () => {
    expectError(await t.http.get('/users/me'), 401, 'invalid_token');
    expectError(await t.http.get('/users/me').set('Authorization', 'Bearer not-a-jwt'), 401, 'invalid_token');
    expectError(await t.http.get('/users/me').set('Authorization', 'Basic dXNlcjpwYXNz'), 401, 'invalid_token');
  });

  it('accepts the Bearer scheme in any case (RFC 7235), and nothing but one token after it', async () => {
    const me = await createLoggedIn(t);
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await t.http.get('/users/me').set('Authorization', `${scheme} ${me.accessToken}`);
      expect(res.status, scheme).toBe(200);
    }
    expectError(await t.http.get('/users/me').set('Authorization', `Bearer ${me.accessToken} extra`), 401, 'invalid_token');
    expectError(await t.http.get('/users/me').set('Authorization', me.accessToken), 401, 'invalid_token');
  });

  it('GET /auth/session answers the claims of the verified token', async () => {
    const me = await createLoggedIn(t);
    const claims = decodeJwtPart(me.accessToken, 1);
    const res = await t.http.get('/auth/session').set(me.bearer);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ active: true, sub: me.id, sid: me.sessionId, role: 'user', iat: claims.iat, exp: claims.exp });
  });

  it('GET /auth/session answers from the token alone: it stays 200 while the database row is gone', async () => {
    const me = await createLoggedIn(t);
    // Deleting the rows directly bypasses revocation: only the token can answer now.
    await t.sql('DELETE FROM users WHERE id = $1', [me.id]);
    const res = await t.http.get('/auth/session').set(me.bearer);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.sub).toBe(me.id);
    // Whereas /users/me reads the database.
    expectError(await t.http.get('/users/me').set(me.bearer), 404, 'not_found');
  });
});

describe('bootstrap admin', () => {
  const email = uniqueEmail('boot-admin');
  const password = 'bootstrap-admin-password';
  let first: TestApp;

  beforeAll(async () => {
    first = await startApp({ env: { BOOTSTRAP_ADMIN_EMAIL: `  ${email.toUpperCase()} `, BOOTSTRAP_ADMIN_PASSWORD: password } });
  });

  afterAll(async () => {
    await first?.close();
  });

  it('creates exactly one admin at boot, who can log in', async () => {
    const admins = await first.sql<{ email: string; status: string }>(`SELECT email, status FROM users WHERE role = 'admin'`);
    expect(admins).toEqual([{ email, status: 'active' }]);

    const res = await first.http.post('/auth/login').send({ email, password });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ email, role: 'admin' });
    const session = await first.http.get('/auth/session').set(bearer(res.body.accessToken));
    expect(session.body.role).toBe('admin');
  });

  it('a second boot on the same database creates no other admin, even with other bootstrap values', async () => {
    const second = await startApp({
      databaseUrl: first.databaseUrl,
      env: { BOOTSTRAP_ADMIN_EMAIL: uniqueEmail('other-admin'), BOOTSTRAP_ADMIN_PASSWORD: 'another-admin-password' },
    });
    try {
      const admins = await second.sql(`SELECT email FROM users WHERE role = 'admin'`);
      expect(admins).toEqual([{ email }]);
      const third = await startApp({ databaseUrl: first.databaseUrl, env: { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password } });
      await third.close();
      expect(await second.sql(`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 1 }]);
    } finally {
      await second.close();
    }
  });
});

describe('error shape', () => {
  it('an unknown route answers 404 not_found in the API error shape, without internals', async () => {
    const res = await t.http.get('/no/such/route');
    expectError(res, 404, 'not_found');
    expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'statusCode']);
    expect(res.body.message).not.toContain('/no/such/route');
  });

  it('a body in a media type nobody parses answers 415 unsupported_media_type', async () => {
    const res = await t.http.post('/auth/login').set('Content-Type', 'application/xml').send('<login/>');
    expectError(res, 415, 'unsupported_media_type');
  });
});

describe('two instances booting together on a fresh database', () => {
  it('create exactly one bootstrap admin and one active signing key between them', async () => {
    const databaseUrl = await createTestDatabase();
    const email = uniqueEmail('twin-admin');
    const env = { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: 'twin-admin-password' };
    const apps = await Promise.all([startApp({ databaseUrl, env }), startApp({ databaseUrl, env })]);
    try {
      expect(await apps[0].sql(`SELECT email FROM users WHERE role = 'admin'`)).toEqual([{ email }]);
      expect(await apps[0].sql(`SELECT count(*)::int AS n FROM signing_keys WHERE status = 'active'`)).toEqual([{ n: 1 }]);
      // Both sign with that key, so either one verifies the other's tokens.
      const login = await apps[0].http.post('/auth/login').send({ email, password: 'twin-admin-password' });
      expect(login.status).toBe(200);
      expect((await apps[1].http.get('/auth/session').set(bearer(login.body.accessToken))).status).toBe(200);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });
});

describe('health', () => {
  it('GET /health/live answers 200', async () => {
    const res = await t.http.get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 200 with the database and Redis up', async () => {
    await eventually(async () => {
      const res = await t.http.get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', database: 'up', redis: 'up' });
    });
  });

  it('GET /health/ready reports Redis down without becoming unready', async () => {
    const noRedis = await startApp({ databaseUrl: t.databaseUrl, env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const res = await noRedis.http.get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ database: 'up', redis: 'down' });
    } finally {
      await noRedis.close();
    }
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes ES256 P-256 public keys, never a private part, including the kid that signs tokens', async () => {
    const me = await createLoggedIn(t);
    const res = await t.http.get('/.well-known/jwks.json');

    expect(res.status).toBe(200);
    expect(res.body.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of res.body.keys) {
      expect(key).toEqual({
        kty: 'EC',
        crv: 'P-256',
        x: expect.stringMatching(/^[\w-]{43}$/),
        y: expect.stringMatching(/^[\w-]{43}$/),
        kid: expect.any(String),
        alg: 'ES256',
        use: 'sig',
      });
      expect(key).not.toHaveProperty('d');
      expect(createPublicKey({ key, format: 'jwk' }).asymmetricKeyType).toBe('ec');
    }
    const kid = decodeJwtPart(me.accessToken, 0).kid;
    expect(res.body.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
    expect(JSON.stringify(res.body)).not.toMatch(/"d"|PRIVATE/);
  });
});
