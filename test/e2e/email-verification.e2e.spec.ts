import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually, loginAs, uniqueEmail } from '../support/factories.js';
import { sleep } from '../support/mail.js';
import { TestSmtpServer } from '../support/smtp.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

/** Email verification and email change, mails over real SMTP. */
let server: TestSmtpServer;
let t: TestApp;
let strict: TestApp;

beforeAll(async () => {
  server = await TestSmtpServer.start();
  const databaseUrl = await createTestDatabase();
  const env = { SMTP_URL: server.url, MAIL_POLL_INTERVAL_MS: '50' };
  t = await startApp({ databaseUrl, env });
  // The same database, with verification required at login.
  strict = await startApp({ databaseUrl, env: { ...env, REQUIRE_EMAIL_VERIFICATION: 'true' } });
});

afterAll(async () => {
  await Promise.all([t?.close(), strict?.close()]);
  await server?.close();
});

async function register(app: TestApp, email = uniqueEmail('verify'), name?: string) {
  const password = 'a good long password';
  const res = await app.http.post('/auth/register').send({ email, password, ...(name ? { name } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.user.id as string, email, password, user: res.body.user };
}

async function latestToken(address: string, kind: string, count = 1): Promise<string> {
  const mails = await server.waitForMail(address, count, kind);
  return mails[mails.length - 1].token!;
}

const verify = (app: TestApp, token: string) => app.http.post('/auth/email/verify').send({ token });

describe('email verification', () => {
  it('registering mails a link; verifying sets emailVerified on the user object everywhere; the link works once', async () => {
    const admin = await createLoggedIn(t, { role: 'admin' });
    const user = await register(t, uniqueEmail('verify'), '<b>Ada</b>');
    expect(user.user.emailVerified).toBe(false);
    const mail = (await server.waitForMail(user.email, 1, 'email_verification'))[0];
    expect(mail.link).toBe(`http://gatehouse.test/verify-email?token=${mail.token}`);
    expect(mail.html).toContain('&lt;b&gt;Ada&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>Ada</b>');

    const session = await loginAs(t, user);
    expect((await t.http.get('/users/me').set(session.bearer)).body.user.emailVerified).toBe(false);
    expect((await verify(t, mail.token!)).status).toBe(204);
    expect((await t.http.get('/users/me').set(session.bearer)).body.user.emailVerified).toBe(true);
    const refreshed = await t.http.post('/auth/refresh').send({ refreshToken: session.refreshToken });
    expect(refreshed.body.user.emailVerified).toBe(true);
    expect((await t.http.get(`/admin/users/${user.id}`).set(admin.bearer)).body.user.emailVerified).toBe(true);
    const listed = await t.http.get(`/admin/users?email=${encodeURIComponent(user.email)}`).set(admin.bearer);
    expect(listed.body.users[0].emailVerified).toBe(true);
    expect((await loginAs(t, user)).sessionId).toBeTruthy();

    const again = await verify(t, mail.token!);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('invalid_verification_token');
  });

  it('resend supersedes the last link; nothing is sent once verified; expired links are refused', async () => {
    const user = await register(t);
    const session = await loginAs(t, user);
    const first = await latestToken(user.email, 'email_verification');
    expect((await t.http.post('/auth/email/verify/resend').set(session.bearer)).status).toBe(202);
    const second = await latestToken(user.email, 'email_verification', 2);
    expect((await verify(t, first)).body.code).toBe('invalid_verification_token');
    await t.sql(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL`, [user.id]);
    expect((await verify(t, second)).body.code).toBe('invalid_verification_token');

    expect((await t.http.post('/auth/email/verify/resend').set(session.bearer)).status).toBe(202);
    expect((await verify(t, await latestToken(user.email, 'email_verification', 3))).status).toBe(204);
    expect((await t.http.post('/auth/email/verify/resend').set(session.bearer)).status).toBe(202);
    await sleep(300);
    expect(server.mailsTo(user.email, 'email_verification')).toHaveLength(3);
    expect((await t.http.post('/auth/email/verify/resend')).status).toBe(401);
  });

  it('with REQUIRE_EMAIL_VERIFICATION=true an unverified login answers 403 email_not_verified, but only after the password check', async () => {
    const user = await register(strict);
    const wrong = await strict.http.post('/auth/login').send({ email: user.email, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const unverified = await strict.http.post('/auth/login').send({ email: user.email, password: user.password });
    expect(unverified.status).toBe(403);
    expect(unverified.body.code).toBe('email_not_verified');
    expect((await verify(strict, await latestToken(user.email, 'email_verification'))).status).toBe(204);
    expect((await strict.http.post('/auth/login').send({ email: user.email, password: user.password })).status).toBe(200);
  });

  it('the bootstrap admin counts as verified', async () => {
    const email = uniqueEmail('bootstrap');
    const boot = await startApp({ databaseUrl: await createTestDatabase(), env: { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap password', REQUIRE_EMAIL_VERIFICATION: 'true' } });
    try {
      const login = await boot.http.post('/auth/login').send({ email, password: 'bootstrap password' });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      expect(login.body.user.emailVerified).toBe(true);
    } finally {
      await boot.close();
    }
  });
});

describe('email change', () => {
  it('requires the password and a free address, takes effect on verify, revokes the other sessions and tells the old address', async () => {
    const user = await register(t);
    const current = await loginAs(t, user);
    const other = await loginAs(t, user);
    const taken = await register(t);
    const newEmail = uniqueEmail('changed');

    const wrong = await t.http.post('/users/me/email').set(current.bearer).send({ newEmail, password: 'wrong password' });
    expect(wrong.body.code).toBe('invalid_credentials');
    const clash = await t.http.post('/users/me/email').set(current.bearer).send({ newEmail: taken.email.toUpperCase(), password: user.password });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('email_taken');
    expect((await t.http.post('/users/me/email').set(current.bearer).send({ newEmail: 'nope', password: user.password })).body.code).toBe('validation_failed');
    // The rules of registration apply to the new address (mixed-script look-alike: Cyrillic а in Latin).
    const lookalike = await t.http.post('/users/me/email').set(current.bearer).send({ newEmail: 'p\u0430ypal@example.test', password: user.password });
    expect(lookalike.body.code).toBe('validation_failed');

    const asked = await t.http.post('/users/me/email').set(current.bearer).send({ newEmail: ` ${newEmail.toUpperCase()} `, password: user.password });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const token = await latestToken(newEmail, 'email_change_verification');
    // Nothing changes before the new address is verified.
    expect((await t.http.get('/users/me').set(current.bearer)).body.user.email).toBe(user.email);
    expect((await t.http.post('/auth/login').send({ email: newEmail, password: user.password })).status).toBe(401);

    expect((await verify(t, token)).status).toBe(204);
    const me = await t.http.get('/users/me').set(current.bearer);
    expect(me.body.user).toMatchObject({ email: newEmail, emailVerified: true });
    expect((await t.http.get('/auth/session').set(other.bearer)).body.code).toBe('token_revoked');
    expect((await t.http.post('/auth/refresh').send({ refreshToken: other.refreshToken })).status).toBe(401);
    expect((await t.http.post('/auth/refresh').send({ refreshToken: current.refreshToken })).status).toBe(200);

    const [notice] = await server.waitForMail(user.email, 1, 'email_changed_notice');
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toMatch(/https?:\/\//);
    expect(notice.html).not.toMatch(/href=/);
    expect((await t.http.post('/auth/login').send({ email: user.email, password: user.password })).status).toBe(401);
    expect((await t.http.post('/auth/login').send({ email: newEmail, password: user.password })).status).toBe(200);
    expect((await verify(t, token)).body.code).toBe('invalid_verification_token');
    const [audit] = await t.sql<{ details: Record<string, unknown> }>(`SELECT details FROM audit_events WHERE user_id = $1 AND type = 'email_changed'`, [user.id]);
    expect(audit.details).toMatchObject({ from: user.email, to: newEmail, sessionsRevoked: 1 });
  });

  it('an address claimed meanwhile is refused at verify with 409 email_taken, and nothing changes', async () => {
    const first = await register(t);
    const second = await register(t);
    const contested = uniqueEmail('contested');
    for (const user of [first, second]) {
      const session = await loginAs(t, user);
      expect((await t.http.post('/users/me/email').set(session.bearer).send({ newEmail: contested, password: user.password })).status).toBe(202);
    }
    const mails = await server.waitForMail(contested, 2, 'email_change_verification');
    const [winner, loser] = await Promise.all(mails.map((mail) => verify(t, mail.token!)));
    expect([winner.status, loser.status].sort()).toEqual([204, 409]);
    expect([winner.body.code, loser.body.code]).toContain('email_taken');
    const emails = (await t.sql<{ email: string }>(`SELECT email FROM users WHERE id = ANY($1)`, [[first.id, second.id]])).map((row) => row.email);
    expect(emails.filter((email) => email === contested)).toHaveLength(1);
    expect((await t.http.post('/auth/register').send({ email: contested, password: 'another password' })).status).toBe(409);
  });

  it('a change link mailed before a newer request, or before an expiry, is refused', async () => {
    const user = await register(t);
    const session = await loginAs(t, user);
    const older = uniqueEmail('older');
    const newer = uniqueEmail('newer');
    await t.http.post('/users/me/email').set(session.bearer).send({ newEmail: older, password: user.password });
    await t.http.post('/users/me/email').set(session.bearer).send({ newEmail: newer, password: user.password });
    expect((await verify(t, await latestToken(older, 'email_change_verification'))).body.code).toBe('invalid_verification_token');
    await eventually(async () => expect(server.mailsTo(newer, 'email_change_verification')).toHaveLength(1));
    await t.sql(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND kind = 'email_change' AND used_at IS NULL`, [user.id]);
    expect((await verify(t, server.mailsTo(newer, 'email_change_verification')[0].token!)).body.code).toBe('invalid_verification_token');
    expect((await t.http.get('/users/me').set(session.bearer)).body.user.email).toBe(user.email);
  });
});
