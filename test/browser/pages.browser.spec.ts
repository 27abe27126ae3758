import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_ROUTES } from '../../src/ui/ui-routes.js';
import { createUser } from '../support/factories.js';
import { launchChromium, onPage, screenshot, signIn, startListeningApp, type ListeningApp } from '../support/browser.js';
import { expectLabelled } from './checks.js';

const ADMIN = { email: 'pages-admin@example.test', password: 'admin password for the sweep' };
const PHONE = { width: 375, height: 740 };

/** Every input has a label; nothing sticks out sideways on a phone; the CSP blocked nothing. */
async function checkPage(page: Page, violations: string[]): Promise<void> {
  await expectLabelled(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect(violations).toEqual([]);
}

describe('every page, on a desktop and a phone-sized screen, under the strict CSP', () => {
  let t: ListeningApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startListeningApp({ BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const [size, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', PHONE]] as const) {
    it(`${size}: signed-out pages, then the account and the console`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
      });
      const visit = async (path: string, name: string, shot: string) => {
        await page.goto(`${t.origin}${path}`);
        await onPage(page, name);
        await screenshot(page, `${size}-${shot}`);
        await checkPage(page, violations);
      };
      await visit(UI_ROUTES.signIn, 'signIn', 'sign-in');
      await visit(UI_ROUTES.register, 'register', 'register');
      await visit(UI_ROUTES.forgotPassword, 'forgotPassword', 'forgot-password');
      await visit(`${UI_ROUTES.resetPassword}?token=abc`, 'resetPassword', 'reset-password');
      await visit(`${UI_ROUTES.verifyEmail}?token=abc`, 'verifyEmail', 'verify-email');

      const user = await createUser(t);
      await signIn(page, t.origin, ADMIN.email, ADMIN.password);
      await visit(UI_ROUTES.account, 'account', 'account');
      await visit(`${UI_ROUTES.adminUsers}?email=example.test`, 'adminUsers', 'admin-users');
      await visit(UI_ROUTES.adminUser.replace(':id', user.id), 'adminUser', 'admin-user');
      await visit(UI_ROUTES.adminAnomalies, 'adminAnomalies', 'admin-anomalies');
      await visit(UI_ROUTES.adminAudit, 'adminAudit', 'admin-audit');
      await visit(UI_ROUTES.adminKeys, 'adminKeys', 'admin-keys');
      await context.close();
    }, 60_000);
  }

  it('is usable with the keyboard alone: Tab to the fields, Enter to sign in', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}${UI_ROUTES.signIn}`);
    await onPage(page, 'signIn');
    // The page's heading has the focus after navigation; the next stop is the first field.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('name'))).resolves.toBe('email');
    await page.keyboard.type(user.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await onPage(page, 'account');
    await context.close();
  });
});
