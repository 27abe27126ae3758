import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, uniqueEmail } from '../support/factories.js';
import { TestSmtpServer } from '../support/smtp.js';
import { launchChromium, onPage, screenshot, signIn, startListeningApp, type ListeningApp } from '../support/browser.js';

/** Recovery and verification through the pages, with the links from real mails (a test SMTP server). */
describe('forgot/reset password, email verification and email change in Chromium', () => {
  let smtp: TestSmtpServer;
  let t: ListeningApp;
  let browser: Browser;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await startListeningApp({ SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '50', PASSWORD_RESET_REQUESTS_PER_HOUR: '1000' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  it('forgot password → the mailed link → a new password; the old one stops working', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/sign-in`);
    await onPage(page, 'signIn');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await onPage(page, 'forgotPassword');
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.waitForSelector('text=If an account exists for that email, a reset link is on its way.');
    await screenshot(page, 'forgot-password-sent');

    const [mail] = await smtp.waitForMail(user.email, 1, 'password_reset');
    expect(mail.link).toBe(`${t.origin}/reset-password?token=${mail.token}`);
    await page.goto(mail.link!);
    await onPage(page, 'resetPassword');
    // The token left the address bar (and so the history) once the page read it.
    expect(new URL(page.url()).search).toBe('');
    await page.getByLabel('New password', { exact: true }).fill('the recovered password');
    await page.getByLabel('New password again').fill('the recovered password');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await onPage(page, 'signIn');
    await expect(page.locator('#notice').textContent()).resolves.toContain('Your password is changed');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect((await page.waitForSelector('form .outcome.error')).textContent()).resolves.toBe('Email or password is incorrect.');
    await signIn(page, t.origin, user.email, 'the recovered password');
    await context.close();

    const used = await browser.newContext();
    const again = await used.newPage();
    await again.goto(mail.link!);
    await onPage(again, 'resetPassword');
    await again.getByLabel('New password', { exact: true }).fill('yet another password');
    await again.getByLabel('New password again').fill('yet another password');
    await again.getByRole('button', { name: 'Set new password' }).click();
    const refusal = await again.waitForSelector('form .outcome.error');
    await expect(refusal.textContent()).resolves.toContain('This password reset link is invalid, expired or already used.');
    await screenshot(again, 'reset-password-used-link');
    await used.close();
  });

  it('register → verification mail → the verify page; the account shows the address verified', async () => {
    const email = uniqueEmail('verify');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/register`);
    await onPage(page, 'register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password again').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await onPage(page, 'account');
    await expect(page.locator('.facts').textContent()).resolves.toContain('not verified');
    await screenshot(page, 'account-unverified');

    const [mail] = await smtp.waitForMail(email, 1, 'email_verification');
    await page.goto(mail.link!);
    await onPage(page, 'verifyEmail');
    await page.getByRole('button', { name: 'Verify my email' }).click();
    await page.waitForSelector('text=Your email is verified.');
    await screenshot(page, 'verify-email-done');
    await page.getByRole('link', { name: 'Back to your account' }).click();
    await onPage(page, 'account');
    await expect(page.locator('.facts').textContent()).resolves.not.toContain('not verified');
    await context.close();
  });

  it('changes the email from the account page once the new address confirms it', async () => {
    const user = await createUser(t);
    const newEmail = uniqueEmail('moved');
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, t.origin, user.email, user.password);
    const form = page.locator('form[aria-label="Change email"]');
    await form.getByLabel('New email').fill(newEmail);
    await form.getByLabel('Current password').fill(user.password);
    await form.getByRole('button', { name: 'Change email' }).click();
    await page.waitForSelector(`text=We sent a link to ${newEmail}`);
    const [mail] = await smtp.waitForMail(newEmail, 1, 'email_change_verification');
    await page.goto(mail.link!);
    await onPage(page, 'verifyEmail');
    await page.getByRole('button', { name: 'Verify my email' }).click();
    await page.waitForSelector('text=Your email is verified.');
    await page.goto(`${t.origin}/account`);
    await onPage(page, 'account');
    await expect(page.locator('.facts').textContent()).resolves.toContain(newEmail);
    await context.close();
  });
});
