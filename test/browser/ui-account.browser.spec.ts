import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../support/factories.js';
import { launchChromium, onPage, screenshot, signIn, startListeningApp, type ListeningApp } from '../support/browser.js';

describe('Gatehouse UI in Chromium: sign in, stay signed in, sessions, log out across tabs', () => {
  let t: ListeningApp;
  let browser: Browser;

  beforeAll(async () => {
    // CORS_ORIGINS names another origin only: the UI passes the CSRF check as Gatehouse's own origin.
    t = await startListeningApp({ CORS_ORIGINS: 'https://elsewhere.example.test' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in through the page, stays signed in after a reload, lists the sessions', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/`);
    await onPage(page, 'signIn');
    await screenshot(page, 'sign-in');
    await signIn(page, t.origin, user.email, user.password);
    await expect(page.getByRole('heading', { name: 'Where you are signed in' }).isVisible()).resolves.toBe(true);

    await page.reload();
    await onPage(page, 'account');
    const rows = page.locator('section[aria-labelledby="sessions-title"] tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toContain('this device');
    await expect(rows.first().textContent()).resolves.toContain('127.0.0.1');
    await screenshot(page, 'account');
    await context.close();
  });

  it('registers through the page and lands on the account', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/register`);
    await onPage(page, 'register');
    await page.getByLabel('Email').fill(`ui-${Date.now()}@example.test`);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Password again').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.locator('[aria-invalid="true"]').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, 'register-invalid');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password again').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await onPage(page, 'account');
    await context.close();
  });

  it('shows the server error for a wrong password and a taken email', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/sign-in`);
    await onPage(page, 'signIn');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = await page.waitForSelector('form .outcome.error');
    await expect(refusal.textContent()).resolves.toBe('Email or password is incorrect.');
    await screenshot(page, 'sign-in-error');
    await context.close();
  });

  it('logging out in one tab ends the other tab', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const first = await context.newPage();
    await signIn(first, t.origin, user.email, user.password);
    const second = await context.newPage();
    await second.goto(`${t.origin}/account`);
    await onPage(second, 'account');

    await first.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await onPage(first, 'signIn');
    await onPage(second, 'signIn', 3000);
    await expect(second.locator('#notice').textContent()).resolves.toContain('You are signed out.');
    // The cookie went too: a reload stays signed out.
    await second.reload();
    await onPage(second, 'signIn');
    await context.close();
  });

  it('revoking a session on the account page ends that other browser', async () => {
    const user = await createUser(t);
    const laptop = await browser.newContext();
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1' });
    const onLaptop = await laptop.newPage();
    const onPhone = await phone.newPage();
    await signIn(onPhone, t.origin, user.email, user.password);
    await signIn(onLaptop, t.origin, user.email, user.password);
    await onLaptop.getByRole('button', { name: /Revoke the session of Safari on iOS/ }).click();
    await onPage(onPhone, 'signIn', 3000);
    await expect(onPhone.locator('#notice').textContent()).resolves.toContain('signed out from another device or by an administrator');
    await screenshot(onPhone, 'phone-signed-out');
    await signIn(onPhone, t.origin, user.email, user.password);
    await screenshot(onPhone, 'phone-account');
    await laptop.close();
    await phone.close();
  });

  it('changes the password (the other browser ends, this one stays) and signs out everywhere', async () => {
    const user = await createUser(t);
    const here = await browser.newContext();
    const there = await browser.newContext();
    const page = await here.newPage();
    const other = await there.newPage();
    await signIn(other, t.origin, user.email, user.password);
    await signIn(page, t.origin, user.email, user.password);
    const form = page.locator('form[aria-label="Change password"]');
    await form.getByLabel('Current password').fill(user.password);
    await form.getByLabel('New password', { exact: true }).fill('a brand new password');
    await form.getByLabel('New password again').fill('a brand new password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.waitForSelector('text=Password changed. Your other sessions were signed out.');
    await onPage(other, 'signIn', 3000);
    await expect(page.locator('section[aria-labelledby="sessions-title"] tbody tr').count()).resolves.toBe(1);

    await signIn(other, t.origin, user.email, 'a brand new password');
    await page.getByRole('button', { name: 'Sign out on every device' }).click();
    await onPage(page, 'signIn');
    await onPage(other, 'signIn', 3000);
    await expect(other.locator('#notice').textContent()).resolves.toContain('signed out from another device');
    await here.close();
    await there.close();
  });

  it('after sign-in goes where the user was headed, but never off this origin', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/account`);
    await onPage(page, 'signIn');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/account');
    for (const next of ['/\\evil.example.test/', '//evil.example.test/', 'https://evil.example.test/']) {
      await page.goto(`${t.origin}/sign-in?next=${encodeURIComponent(next)}`);
      await onPage(page, 'signIn');
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await onPage(page, 'account');
      expect(new URL(page.url()).origin).toBe(t.origin);
      await page.locator('#nav').getByRole('button', { name: 'Sign out' }).click();
      await onPage(page, 'signIn');
    }
    await context.close();
  });
});
