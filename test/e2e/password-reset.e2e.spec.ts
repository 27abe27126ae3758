import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, createUser, eventually, loginAs, uniqueEmail, type TestUser } from '../support/factories.js';
import { sleep } from '../support/mail.js';
import { TestSmtpServer } from '../support/smtp.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

/** Forgot → mail (real SMTP) → reset, across two instances on one database and one Redis. */
let server: TestSmtpServer;
let a: TestApp;
let b: TestApp;
const PUBLIC_APP_URL = 'https://app.gatehouse.test';

beforeAll(async () => {
  server = await TestSmtpServer.start();
  const databaseUrl = await createTestDatabase();
  // B's catch-up loop is slowed to a minute: what B learns within a second came over Redis.
  const env = { SMTP_URL: server.url, PUBLIC_APP_URL, MAIL_POLL_INTERVAL_MS: '50', PASSWORD_RESET_REQUESTS_PER_HOUR: '1000', REVOCATION_SYNC_INTERVAL_MS: '60000',
    // Five failed checks lock an account for ten minutes (longer than this suite runs).
    LOGIN_LOCKOUT_THRESHOLD: '5', LOGIN_LOCKOUT_BASE_SECONDS: '600', LOGIN_LOCKOUT_MAX_SECONDS: '600' };
  a = await startApp({ databaseUrl, env });
  b = await startApp({ databaseUrl, env });
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await server?.close();
});

/** Asks for a reset on `t` and returns the token from the mail that arrives. */
async function requestReset(t: TestApp, user: TestUser): Promise<string> {
  const before = server.mailsTo(user.email, 'password_reset').length;
  const res = await t.http.post('/auth/password/forgot').send({ email: user.email.toUpperCase() });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const mails = await server.waitForMail(user.email, before + 1, 'password_reset');
  return mails[mails.length - 1].token!;
}

describe('forgot and reset password', () => {
  it('mails a link that sets the password and revokes every session, live access tokens included, on every instance', async () => {
    const user = await createUser(a);
    const onA = await loginAs(a, user);
    const onB = await loginAs(b, user);
    expect((await b.http.get('/auth/session').set(onA.bearer)).status).toBe(200);

    const token = await requestReset(a, user);
    const mail = server.mailsTo(user.email, 'password_reset').at(-1)!;
    expect(mail.link).toBe(`${PUBLIC_APP_URL}/reset-password?token=${token}`);
    expect(mail.html).toContain(`${PUBLIC_APP_URL}/reset-password?token=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    const [stored] = await a.sql<{ token_hash: string }>(`SELECT token_hash FROM account_tokens WHERE user_id = $1 AND kind = 'password_reset'`, [user.id]);
    expect(stored.token_hash).not.toContain(token);

    const started = Date.now();
    const reset = await a.http.post('/auth/password/reset').send({ token, newPassword: 'a brand new password' });
    expect(reset.status, JSON.stringify(reset.body)).toBe(204);
    for (const session of [onA, onB]) {
      expect((await a.http.get('/auth/session').set(session.bearer)).body.code).toBe('token_revoked');
      await eventually(async () => expect((await b.http.get('/auth/session').set(session.bearer)).body.code).toBe('token_revoked'), 1000, 5);
      expect((await b.http.post('/auth/refresh').send({ refreshToken: session.refreshToken })).status).toBe(401);
    }
    expect(Date.now() - started).toBeLessThan(1500);

    expect((await a.http.post('/auth/login').send({ email: user.email, password: user.password })).body.code).toBe('invalid_credentials');
    expect((await b.http.post('/auth/login').send({ email: user.email, password: 'a brand new password' })).status).toBe(200);
    const [audit] = await a.sql<{ details: { sessionsRevoked: number } }>(`SELECT details FROM audit_events WHERE user_id = $1 AND type = 'password_reset'`, [user.id]);
    expect(audit.details.sessionsRevoked).toBe(2);
    expect((await a.sql(`SELECT 1 FROM audit_events WHERE user_id = $1 AND type = 'password_reset_requested'`, [user.id]))).toHaveLength(1);

    const reused = await a.http.post('/auth/password/reset').send({ token, newPassword: 'yet another password' });
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({ statusCode: 400, code: 'invalid_reset_token', message: expect.any(String) });
  });

  it('answers an unknown address exactly like a known one (status, body, timing) and mails nothing', async () => {
    const known = await Promise.all(Array.from({ length: 15 }, () => createUser(a)));
    const unknown = Array.from({ length: 15 }, () => uniqueEmail('nobody'));
    const timings = { known: [] as number[], unknown: [] as number[] };
    const bodies = new Set<string>();
    for (let i = 0; i < known.length; i++) {
      for (const [kind, email] of [['known', known[i].email], ['unknown', unknown[i]]] as const) {
        const started = process.hrtime.bigint();
        const res = await a.http.post('/auth/password/forgot').send({ email });
        timings[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(res.status).toBe(202);
        bodies.add(JSON.stringify(res.body));
        await sleep(20); // let the background processing of this request settle before the next sample
      }
    }
    expect(bodies.size).toBe(1);
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
    const ratio = median(timings.known) / median(timings.unknown);
    expect(ratio, `known ${median(timings.known)} ms, unknown ${median(timings.unknown)} ms`).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);

    for (const user of known) await server.waitForMail(user.email, 1, 'password_reset');
    await sleep(300);
    for (const email of unknown) expect(server.mailsTo(email)).toHaveLength(0);
    const outcomes = await a.sql<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM password_reset_requests WHERE email = ANY($1) GROUP BY outcome ORDER BY outcome`,
      [[...known.map((user) => user.email), ...unknown]],
    );
    expect(outcomes).toEqual([{ outcome: 'mailed', n: 15 }, { outcome: 'unknown_address', n: 15 }]);
  });

  it('limits requests per address, known or not, with 429 and Retry-After', async () => {
    const limited = await startApp({ databaseUrl: a.databaseUrl, env: { PASSWORD_RESET_REQUESTS_PER_HOUR: '3' } });
    try {
      const user = await createUser(limited);
      for (const email of [user.email, uniqueEmail('nobody')]) {
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push(await limited.http.post('/auth/password/forgot').send({ email }));
        expect(answers.map((res) => res.status)).toEqual([202, 202, 202, 429]);
        expect(answers[3].body.code).toBe('rate_limited');
        expect(Number(answers[3].headers['retry-after'])).toBeGreaterThan(3000);
      }
      // Concurrent requests for one address are counted one at a time: never more than the limit.
      const email = uniqueEmail('burst');
      const burst = await Promise.all(Array.from({ length: 8 }, () => limited.http.post('/auth/password/forgot').send({ email })));
      expect(burst.filter((res) => res.status === 202)).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('refuses expired, reused, superseded and unknown tokens, and tokens from before a password change', async () => {
    const user = await createLoggedIn(a);
    const refuse = async (token: string) => {
      const res = await a.http.post('/auth/password/reset').send({ token, newPassword: 'new password 1234' });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.code).toBe('invalid_reset_token');
    };
    const first = await requestReset(a, user);
    const second = await requestReset(a, user);
    await refuse(first); // superseded by the second
    await a.sql(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL AND invalidated_at IS NULL`, [user.id]);
    await refuse(second); // expired
    await refuse('not-a-token-at-all');

    const third = await requestReset(a, user);
    const changed = await a.http.post('/users/me/password').set(user.bearer).send({ currentPassword: user.password, newPassword: 'changed the usual way' });
    expect(changed.status).toBe(204);
    await refuse(third); // invalidated by the password change

    const fourth = await requestReset(a, user);
    const tooShort = await a.http.post('/auth/password/reset').send({ token: fourth, newPassword: 'short' });
    expect(tooShort.body.code).toBe('validation_failed');
    const common = await a.http.post('/auth/password/reset').send({ token: fourth, newPassword: 'password123' });
    expect(common.body.code).toBe('validation_failed');
    expect(common.body.details[0].field).toBe('newPassword');
    const extra = await a.http.post('/auth/password/reset').send({ token: fourth, newPassword: 'long enough password', admin: true });
    expect(extra.body.code).toBe('validation_failed');
    // Two resets racing with one token: exactly one wins.
    const race = await Promise.all([1, 2, 3].map((i) => b.http.post('/auth/password/reset').send({ token: fourth, newPassword: `racing password ${i}` })));
    expect(race.map((res) => res.status).sort()).toEqual([204, 400, 400]);
  });

  it('SMTP down while a reset is requested, then up: the mail arrives exactly once and its link works', async () => {
    const port = await TestSmtpServer.freePort();
    const down = await startApp({ databaseUrl: await createTestDatabase(), env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_POLL_INTERVAL_MS: '50', MAIL_RETRY_BASE_MS: '100', MAIL_RETRY_MAX_MS: '200' } });
    let late: TestSmtpServer | undefined;
    try {
      const user = await createUser(down);
      expect((await down.http.post('/auth/password/forgot').send({ email: user.email })).status).toBe(202);
      await eventually(async () => {
        const [row] = await down.sql<{ attempts: number; last_error: string }>(`SELECT attempts, last_error FROM mail_outbox WHERE recipient = $1 AND kind = 'password_reset'`, [user.email]);
        expect(row?.attempts).toBeGreaterThanOrEqual(2);
        expect(row?.last_error).toMatch(/ECONNECTION|ECONNREFUSED/);
      });
      late = await TestSmtpServer.start({ port });
      const [mail] = await late.waitForMail(user.email, 1, 'password_reset');
      await sleep(500);
      expect(late.mailsTo(user.email, 'password_reset')).toHaveLength(1);
      expect((await down.http.post('/auth/password/reset').send({ token: mail.token, newPassword: 'after the outage' })).status).toBe(204);
    } finally {
      await down.close();
      await late?.close();
    }
  });

  it('unlocks an account locked by guessed passwords, on every instance, and audits it', async () => {
    const user = await createUser(a);
    for (let i = 0; i < 5; i++) {
      expect((await (i % 2 ? b : a).http.post('/auth/login').send({ email: user.email, password: 'a wrong guess!' })).status).toBe(401);
    }
    for (const t of [a, b]) {
      const locked = await t.http.post('/auth/login').send({ email: user.email, password: user.password });
      expect(locked.status, JSON.stringify(locked.body)).toBe(423);
      expect(locked.body.code).toBe('account_locked');
    }

    const token = await requestReset(a, user);
    expect((await b.http.post('/auth/password/reset').send({ token, newPassword: 'an unlocked new password' })).status).toBe(204);
    for (const t of [a, b]) {
      const res = await t.http.post('/auth/login').send({ email: user.email, password: 'an unlocked new password' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await eventually(async () =>
      expect(await a.sql(`SELECT 1 FROM audit_events WHERE user_id = $1 AND type = 'account_unlocked'`, [user.id])).toHaveLength(1),
    );
  });

  it('mails nothing for a suspended account', async () => {
    const admin = await createLoggedIn(a, { role: 'admin' });
    const user = await createUser(a);
    expect((await a.http.post(`/admin/users/${user.id}/suspend`).set(admin.bearer).send({})).status).toBe(200);
    expect((await a.http.post('/auth/password/forgot').send({ email: user.email })).status).toBe(202);
    await eventually(async () => expect(await a.sql(`SELECT 1 FROM password_reset_requests WHERE email = $1 AND outcome = 'suspended'`, [user.email])).toHaveLength(1));
    await sleep(300);
    expect(server.mailsTo(user.email, 'password_reset')).toHaveLength(0);
  });
});
