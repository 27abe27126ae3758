import { describe, expect, it } from 'vitest';
import { createUser } from '../support/factories.js';
import { browserSuite, onPage, screenshot } from '../support/browser.js';

describe('a real account_locked through the sign-in page', () => {
  // Three failures lock the account for a minute: far longer than the test.
  const suite = browserSuite({ LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_BASE_SECONDS: '60', LOGIN_LOCKOUT_MAX_SECONDS: '120' });

  it('wrong passwords until the server answers 423; the page says when to try again; the right password is refused while locked', async () => {
    const { t, browser } = suite;
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/sign-in`);
    await onPage(page, 'signIn');
    const outcome = page.locator('form .outcome');

    /** Submits the form; the server's answer to this login, and what the page then says. */
    const attempt = async (password: string) => {
      await page.getByLabel('Password').fill(password);
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/login'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      await page.waitForSelector('form[aria-label="Sign in"]:not([aria-busy])');
      return { status: response.status(), retryAfter: response.headers()['retry-after'], text: await outcome.textContent() };
    };

    await page.getByLabel('Email').fill(user.email);
    const answers = [];
    for (let i = 0; i < 10; i++) {
      const answer = await attempt('not the password');
      answers.push(answer);
      if (answer.status !== 401) break;
      expect(answer.text).toBe('Email or password is incorrect.');
    }
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 423]);
    const locked = answers[3];
    const seconds = Number(locked.retryAfter);
    expect(seconds).toBeGreaterThan(30);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(locked.text).toContain('This account is locked after too many failed sign-in attempts.');
    // The retry time comes from the server's Retry-After, in words and as a clock time.
    expect(locked.text).toMatch(new RegExp(`You can try again in ${seconds} seconds \\(at \\d\\d:\\d\\d:\\d\\d( [AP]M)?\\)\\.$`));
    await expect(outcome.getAttribute('role')).resolves.toBe('alert');
    await screenshot(page, 'sign-in-locked');

    // The right password gets the same answer while the lock lasts, and the page stays on sign-in.
    const right = await attempt(user.password);
    expect(right.status).toBe(423);
    expect(right.text).toContain('This account is locked');
    expect(Number(right.retryAfter)).toBeLessThanOrEqual(seconds);
    await expect(page.locator('body').getAttribute('data-page')).resolves.toBe('signIn');
    await context.close();
  }, 60_000);
});
