import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../support/factories.js';
import { launchChromium, onPage, screenshot, signIn, startListeningApp, type ListeningApp } from '../support/browser.js';

const ADMIN = { email: 'root-admin@example.test', password: 'admin password for the console' };

describe('admin console in Chromium: the user’s page ends when the admin revokes or suspends', () => {
  let t: ListeningApp;
  let browser: Browser;
  let adminContext: BrowserContext;
  let admin: Page;

  beforeAll(async () => {
    t = await startListeningApp({ BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password });
    browser = await launchChromium();
    adminContext = await browser.newContext();
    admin = await adminContext.newPage();
    await signIn(admin, t.origin, ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function userSignedIn(user: TestUser) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, t.origin, user.email, user.password);
    return { context, page };
  }

  async function openUser(email: string) {
    await admin.locator('#nav').getByRole('link', { name: 'Users' }).click();
    await onPage(admin, 'adminUsers');
    await admin.getByLabel('Email contains').fill(email);
    await admin.getByRole('button', { name: 'Search' }).click();
    await admin.getByRole('link', { name: email }).click();
    await onPage(admin, 'adminUser');
  }

  it('revoking the sessions in the console sends the user’s open page to sign-in with the reason within 3 s', async () => {
    const user = await createUser(t);
    const { context, page } = await userSignedIn(user);
    await openUser(user.email);
    await screenshot(admin, 'admin-user');
    await admin.locator('form[aria-label="Revoke all sessions"]').getByLabel('Reason (optional)').fill('lost laptop');
    await admin.getByRole('button', { name: 'Revoke all sessions' }).click();
    const revokedAt = Date.now();
    await onPage(page, 'signIn', 3000);
    expect(Date.now() - revokedAt).toBeLessThan(3000);
    await expect(page.locator('#notice').textContent()).resolves.toContain('signed out from another device or by an administrator');
    await screenshot(page, 'revoked-by-admin');
    await context.close();
  });

  it('suspending in the console ends the user’s page; sign-in is refused until unsuspended', async () => {
    const user = await createUser(t);
    const { context, page } = await userSignedIn(user);
    await openUser(user.email);
    await admin.getByLabel('Reason (optional, kept in the audit log)').fill('chargeback fraud');
    await admin.getByRole('button', { name: 'Suspend' }).click();
    await onPage(page, 'signIn', 3000);
    await expect(page.locator('#notice').textContent()).resolves.toContain('Your account was suspended');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = await page.waitForSelector('form .outcome.error');
    await expect(refusal.textContent()).resolves.toContain('This account is suspended');
    await screenshot(page, 'sign-in-suspended');

    await admin.waitForSelector('text=is suspended and was signed out everywhere');
    await screenshot(admin, 'admin-user-suspended');
    await admin.getByRole('button', { name: 'Unsuspend' }).click();
    await admin.waitForSelector('text=can sign in again');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await onPage(page, 'account');
    await context.close();
  });

  it('lists users with paging, shows the audit log', async () => {
    for (let i = 0; i < 21; i++) await createUser(t);
    await admin.locator('#nav').getByRole('link', { name: 'Users' }).click();
    await onPage(admin, 'adminUsers');
    await expect(admin.locator('tbody tr').count()).resolves.toBe(20);
    await screenshot(admin, 'admin-users');
    await admin.getByRole('button', { name: 'Next page' }).click();
    await admin.waitForSelector('text=Page 2');
    await expect(admin.locator('tbody tr').count()).resolves.toBeGreaterThan(0);
    await admin.getByRole('button', { name: 'Previous page' }).click();
    await admin.waitForSelector('text=Page 1');

    await admin.locator('#nav').getByRole('link', { name: 'Audit' }).click();
    await onPage(admin, 'adminAudit');
    await expect(admin.locator('tbody').textContent()).resolves.toContain('user_suspended');
    await screenshot(admin, 'admin-audit');
  });

  it('rotates and revokes signing keys; the console keeps working through its own key’s revocation', async () => {
    await admin.locator('#nav').getByRole('link', { name: 'Keys' }).click();
    await onPage(admin, 'adminKeys');
    const before = await admin.locator('tbody tr').count();
    await admin.getByRole('button', { name: 'Rotate now' }).click();
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(before + 1);
    // The admin's own access token was signed by the now retiring key: revoking it forces one refresh.
    const retiring = admin.locator('tbody tr', { hasText: 'retiring' }).first();
    await retiring.getByRole('button', { name: 'Revoke' }).click();
    await admin.locator('tbody .badge', { hasText: 'revoked' }).waitFor();
    await expect(admin.locator('#notice').textContent()).resolves.toContain('is revoked: its tokens are rejected everywhere');
    await screenshot(admin, 'admin-keys');
    await admin.locator('#nav').getByRole('link', { name: 'Users' }).click();
    await onPage(admin, 'adminUsers');
    await expect(admin.locator('tbody tr').count()).resolves.toBeGreaterThan(0);
  });

  it('a non-admin sees no console', async () => {
    const user = await createUser(t);
    const { context, page } = await userSignedIn(user);
    await expect(page.getByRole('link', { name: 'Users' }).count()).resolves.toBe(0);
    await page.goto(`${t.origin}/admin`);
    await onPage(page, 'adminUsers');
    await expect(page.getByRole('heading', { name: 'Administrators only' }).isVisible()).resolves.toBe(true);
    await context.close();
  });
});
