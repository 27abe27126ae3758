import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/users/password-hasher.service.js';
import { createLoggedIn, createUser } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

// Issue 8 #9: fullwidth, Cyrillic-homoglyph and zero-width variants of an email registered as new
// accounts, the Kelvin sign mapped onto an existing one; common passwords were accepted.

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

const PASSWORD = 'a perfectly fine passphrase';
const id = () => randomUUID().slice(0, 8);
/** ASCII to its fullwidth form (U+FF01..U+FF5E), @ and . included. */
const fullwidth = (text: string) => text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

async function register(email: string, password = PASSWORD) {
  return t.http.post('/auth/register').send({ email, password });
}

async function userCount(): Promise<number> {
  const [row] = await t.sql<{ n: string }>('SELECT count(*) AS n FROM users');
  return Number(row.n);
}

function expectRefused(res: { status: number; body: { code?: string; details?: unknown } }, field: string, message: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.code).toBe('validation_failed');
  expect(res.body.details).toEqual([{ field, message: expect.stringMatching(message) }]);
}

describe('look-alike emails', () => {
  it('a fullwidth variant is the same address: 409 email_taken, and it signs in to the same account', async () => {
    const email = `ada-${id()}@example.test`;
    const original = await register(email);
    expect(original.status).toBe(201);
    const variant = fullwidth(email);
    expect(variant).not.toBe(email);
    expect((await register(variant)).status).toBe(409);
    const login = await t.http.post('/auth/login').send({ email: variant, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(original.body.user.id);
  });

  it('the Kelvin sign (U+212A) is the letter k, in registering and in signing in', async () => {
    const email = `kelvin-${id()}@example.test`;
    const original = await register(email.replace('k', '\u212a'));
    expect(original.status, JSON.stringify(original.body)).toBe(201);
    expect(original.body.user.email).toBe(email);
    expect((await register(email)).status).toBe(409);
    const login = await t.http.post('/auth/login').send({ email, password: PASSWORD });
    expect(login.body.user.id).toBe(original.body.user.id);
  });

  it('is stored in one form: NFKC, trimmed, lower-cased', async () => {
    const local = `mixed-${id()}`;
    const res = await register(`  ${fullwidth('ADA')}${local.toUpperCase()}@Example.TEST `);
    expect(res.status).toBe(201);
    const [row] = await t.sql<{ email: string }>('SELECT email FROM users WHERE id = $1', [res.body.user.id]);
    expect(row.email).toBe(`ada${local}@example.test`);
  });

  it.each([
    ['a Cyrillic а in a Latin local part', (u: string) => `\u0430dmin-${u}@example.test`],
    ['a Greek ο in a Latin local part', (u: string) => `r\u03bfot-${u}@example.test`],
    ['a Cyrillic е in a Latin domain label', (u: string) => `ada-${u}@\u0435xample.test`],
  ])('refuses %s (mixed scripts): 400 validation_failed, nothing written', async (_name, email) => {
    const before = await userCount();
    expectRefused(await register(email(id())), 'email', /mix scripts/);
    expect(await userCount()).toBe(before);
  });

  it.each([
    ['zero-width space', '\u200b'],
    ['zero-width joiner', '\u200d'],
    ['word joiner', '\u2060'],
    ['soft hyphen', '\u00ad'],
    ['right-to-left override', '\u202e'],
    ['BOM', '\ufeff'],
    ['a control character', '\u0007'],
  ])('refuses an email with a %s inside: 400 validation_failed', async (_name, character) => {
    const before = await userCount();
    expectRefused(await register(`ad${character}min-${id()}@example.test`), 'email', /invisible or control/);
    expect(await userCount()).toBe(before);
  });

  it('accepts single-script addresses in other scripts (one script per label, labels may differ)', async () => {
    const digits = () => String(Math.floor(Math.random() * 1e9));
    for (const email of [`иван${digits()}@пример.рф`, `ivan-${id()}@пример.com`, `δοκιμή${digits()}@example.test`, `太郎${digits()}@example.test`]) {
      const res = await register(email);
      expect(res.status, `${email}: ${JSON.stringify(res.body)}`).toBe(201);
    }
  });

  it('sign-in only normalises: an address that could not be registered today is an ordinary 401', async () => {
    const res = await t.http.post('/auth/login').send({ email: `\u0430dmin-${id()}@example.test`, password: PASSWORD });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_credentials');
  });
});

describe('common passwords', () => {
  it.each(['password1', 'Password1', '12345678', 'iloveyou', 'qwertyuiop', 'sunshine', 'trustno1'])(
    'register with %j: 400 validation_failed on password with a clear message, nothing written',
    async (password) => {
      const before = await userCount();
      expectRefused(await register(`pw-${id()}@example.test`, password), 'password', /10,000 most common passwords/);
      expect(await userCount()).toBe(before);
    },
  );

  it('a password change to a common password is refused, and the old password keeps working', async () => {
    const user = await createLoggedIn(t);
    const res = await t.http.post('/users/me/password').set(user.bearer).send({ currentPassword: user.password, newPassword: 'football' });
    expectRefused(res, 'newPassword', /10,000 most common passwords/);
    expect((await t.http.post('/auth/login').send({ email: user.email, password: user.password })).status).toBe(200);
  });

  it('an uncommon password is fine, and sign-in never checks the list (older accounts keep working)', async () => {
    expect((await register(`fine-${id()}@example.test`, 'correct horse battery staple')).status).toBe(201);
    const user = await createUser(t);
    const legacyHash = await t.app.get(PasswordHasher).hash('password1');
    await t.sql('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, legacyHash]);
    expect((await t.http.post('/auth/login').send({ email: user.email, password: 'password1' })).status).toBe(200);
  });
});
