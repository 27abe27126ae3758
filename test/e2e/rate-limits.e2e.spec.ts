import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, createUser } from '../support/factories.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

describe('rate limits shared by every instance (Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = { RATE_LIMIT_AUTH_PER_MINUTE: '6', RATE_LIMIT_PASSWORD_PER_USER_PER_MINUTE: '4' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('two instances draw on one per-IP budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (const t of [a, b]) statuses.push((await t.http.post('/auth/refresh').send({ refreshToken: 'x'.repeat(43) })).status);
    }
    // Before: each instance counted alone, so 2 × 6 passed. Now 6 pass in all, whichever instance.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    const limited = await b.http.post('/auth/refresh').send({ refreshToken: 'x'.repeat(43) });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ statusCode: 429, code: 'rate_limited', message: expect.any(String) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('POST /users/me/password and DELETE /users/me are limited per user, across instances and endpoints', async () => {
    const user = await createLoggedIn(a);
    const statuses: number[] = [];
    for (const t of [a, b, a, b, a]) {
      const change = await t.http.post('/users/me/password').set(user.bearer).send({ currentPassword: 'not it at all', newPassword: 'another password 1' });
      statuses.push(change.status);
    }
    const remove = await b.http.delete('/users/me').set(user.bearer).send({ password: 'not it either' });
    statuses.push(remove.status);
    // Before: no limit at all on either endpoint.
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    expect(Number(remove.headers['retry-after'])).toBeGreaterThan(0);
    // Another user is not affected.
    const other = await createLoggedIn(b);
    expect((await a.http.delete('/users/me').set(other.bearer).send({ password: other.password })).status).toBe(204);
  });
});

describe('one user flooding the password hashing queue', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({
      env: {
        // Real bcrypt work, one hash at a time, a short queue timeout: the flood used to push
        // everyone else's login past the timeout into 503.
        BCRYPT_COST: '11',
        PASSWORD_HASH_CONCURRENCY: '1',
        PASSWORD_HASH_QUEUE_TIMEOUT_MS: '5000',
        RATE_LIMIT_PASSWORD_PER_USER_PER_MINUTE: '10',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('48 password changes at once from one user: others still log in; the flooder gets 429', async () => {
    const flooder = await createLoggedIn(t);
    const others = await Promise.all([createUser(t), createUser(t), createUser(t)]);
    const flood = Promise.all(
      Array.from({ length: 48 }, () =>
        t.http.post('/users/me/password').set(flooder.bearer).send({ currentPassword: 'guess guess guess', newPassword: 'a new password 123' }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const logins = await Promise.all(others.map((user) => t.http.post('/auth/login').send({ email: user.email, password: user.password })));
    const floodStatuses = (await flood).map((res) => res.status);
    expect(logins.map((res) => res.status)).toEqual([200, 200, 200]);
    expect(floodStatuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(38);
    // Past its budget the flooder is refused at once; what it did get queued waits in its own
    // line (and may time out there: 503), never in front of everyone else.
    expect(floodStatuses.every((status) => [401, 429, 503].includes(status))).toBe(true);
  });
});
