import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ANOMALY_TYPES } from '../../src/config/anomaly-policy.js';
import { UI_ROUTES } from '../../src/ui/ui-routes.js';
import { ANOMALY_LABELS } from '../../web/src/messages.js';
import { createUser, loginAs, type TestUser } from '../support/factories.js';
import { browserSuite, onPage, screenshot, signIn, type ListeningApp } from '../support/browser.js';
import { expectLabelled } from './checks.js';

const ADMIN = { email: 'anomaly-admin@example.test', password: 'admin password for the review' };
// The thief presents the stolen refresh token from another network; the victim's own sign-ins
// (the API's and the browser's) all come from 127.0.0.1, so no other detector has cause to fire.
const THIEF = { 'x-forwarded-for': '203.0.113.7' };
const THIEF_NETWORK = '203.0.113.0/24';
const REUSE = ANOMALY_LABELS.refresh_token_reuse;

/** Through the HTTP API: sign in, rotate the refresh token once, then replay the rotated one from the thief's network. */
async function steal(t: ListeningApp, user: TestUser): Promise<void> {
  const session = await loginAs(t, user);
  const rotated = await t.http.post('/auth/refresh').send({ refreshToken: session.refreshToken });
  expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
  const replay = await t.http.post('/auth/refresh').set(THIEF).send({ refreshToken: session.refreshToken });
  expect(replay.body.code, JSON.stringify(replay.body)).toBe('refresh_token_reused');
}

const rows = (page: Page) => page.locator('main tbody tr');

/** Applies the filters and waits until the list shows their result. */
async function show(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForSelector('form[aria-label="Filter anomalies"]:not([aria-busy])');
}

describe('anomaly review in Chromium against the real endpoints', () => {
  // No grace window: the replay right after the rotation is a reuse, not a benign race.
  const suite = browserSuite({ BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: '1', REFRESH_REUSE_GRACE_SECONDS: '0' });

  it('every anomaly type has a label in the UI', () => {
    expect(ANOMALY_TYPES.filter((type) => !ANOMALY_LABELS[type])).toEqual([]);
  });

  it('the user sees the thefts as security events; the admin pages through them, dismisses one, confirms one with a suspension', async () => {
    const { t, browser } = suite;
    const victim = await createUser(t);
    for (let i = 0; i < 2; i++) await steal(t, victim);
    // Enough anomalies of other users for a second page (the console shows 20 a page).
    const others = await Promise.all(Array.from({ length: 4 }, () => createUser(t)));
    for (const other of others) for (let i = 0; i < 5; i++) await steal(t, other);

    // The victim's account lists both thefts: what, when, and from which network.
    const victimContext = await browser.newContext();
    const victimPage = await victimContext.newPage();
    await signIn(victimPage, t.origin, victim.email, victim.password);
    const events = victimPage.locator('section[aria-labelledby="events-title"] tbody tr');
    await expect.poll(() => events.count()).toBe(2);
    for (const row of await events.all()) {
      await expect(row.locator('td[data-label="Event"]').textContent()).resolves.toBe(REUSE);
      await expect(row.locator('td[data-label="Network"]').textContent()).resolves.toBe(THIEF_NETWORK);
      await expect(row.locator('td[data-label="When"] time').getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    await victimPage.locator('section[aria-labelledby="events-title"]').scrollIntoViewIfNeeded();
    await screenshot(victimPage, 'account-security-events');

    const adminContext = await browser.newContext();
    const admin = await adminContext.newPage();
    await signIn(admin, t.origin, ADMIN.email, ADMIN.password);
    await admin.locator('#nav').getByRole('link', { name: 'Anomalies' }).click();
    await onPage(admin, 'adminAnomalies');
    await expect(admin.getByLabel('Status').inputValue()).resolves.toBe('open');
    // Open thefts, newest first, 20 a page: 22 make two pages.
    await admin.getByLabel('Type').selectOption('refresh_token_reuse');
    await show(admin);
    expect(new URL(admin.url()).searchParams.get('type')).toBe('refresh_token_reuse');
    await expect(rows(admin).count()).resolves.toBe(20);
    await expect(rows(admin).first().locator('td[data-label="Network"]').textContent()).resolves.toBe(THIEF_NETWORK);
    await expect(rows(admin).first().locator('td[data-label="Action taken"]').textContent()).resolves.toBe('session revoked');
    await expectLabelled(admin);
    await screenshot(admin, 'admin-anomalies');
    const firstPage = await rows(admin).locator('td[data-label="User"] a').evaluateAll((links) => links.map((link) => link.getAttribute('title')));
    await admin.getByRole('button', { name: 'Next page' }).click();
    await admin.waitForSelector('text=Page 2');
    await expect(rows(admin).count()).resolves.toBe(2);
    // The victim's thefts came first, so they are the oldest: on the last page.
    const lastPage = await rows(admin).locator('td[data-label="User"] a').evaluateAll((links) => links.map((link) => link.getAttribute('title')));
    expect(lastPage).toEqual([victim.id, victim.id]);
    expect(firstPage).not.toContain(victim.id);
    await admin.getByRole('button', { name: 'Previous page' }).click();
    await admin.waitForSelector('text=Page 1');
    await expect(rows(admin).count()).resolves.toBe(20);

    // Filters: by type (none of another type), then by the victim's id, kept in the address bar.
    await admin.getByLabel('Type').selectOption('reported');
    await show(admin);
    await expect(admin.locator('main .muted', { hasText: 'Nothing to review.' }).count()).resolves.toBe(1);
    await admin.getByLabel('Type').selectOption('refresh_token_reuse');
    await admin.getByLabel('User id').fill(victim.id);
    await show(admin);
    await expect(rows(admin).count()).resolves.toBe(2);
    expect(new URL(admin.url()).searchParams.get('userId')).toBe(victim.id);

    // Dismiss the newest as a false alarm, with a note.
    const [dismissed, confirmed] = await rows(admin).locator('td[data-label="When"] time').evaluateAll((times) => times.map((time) => time.getAttribute('datetime')));
    expect(dismissed! > confirmed!).toBe(true);
    // By keyboard: Enter opens the row's review, Tab reaches the dismiss note, Enter submits it.
    await rows(admin).first().locator('summary').focus();
    await admin.keyboard.press('Enter');
    await admin.keyboard.press('Tab');
    await expect(admin.evaluate(() => document.activeElement?.closest('form')?.getAttribute('aria-label'))).resolves.toMatch(/^Dismiss anomaly /);
    await admin.keyboard.type('the user’s own second device');
    await admin.keyboard.press('Enter');
    await admin.waitForSelector('text=Dismissed: a suspension it caused is lifted');
    await expect.poll(() => rows(admin).count()).toBe(1);

    // Confirm the other and suspend the user: the victim's open page ends.
    await rows(admin).first().getByText('Review', { exact: true }).click();
    await screenshot(admin, 'admin-anomaly-review-open');
    // On a phone the row becomes a card, the review forms inside it, nothing wider than the screen.
    await admin.setViewportSize({ width: 375, height: 740 });
    await screenshot(admin, 'phone-admin-anomaly-review-open');
    await expect(admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).resolves.toBeLessThanOrEqual(0);
    await admin.setViewportSize({ width: 1280, height: 800 });
    await rows(admin).first().getByLabel('Also suspend the user').check();
    await rows(admin).first().getByRole('button', { name: 'Confirm' }).click();
    await admin.waitForSelector('text=Confirmed, and the user is suspended.');
    await admin.waitForSelector('text=Nothing to review.');
    await onPage(victimPage, 'signIn', 5000);
    await expect(victimPage.locator('#notice').textContent()).resolves.toContain('Your account was suspended');

    // What the server holds is what the page showed.
    const adminToken = (await t.http.post('/auth/login').send(ADMIN)).body.accessToken as string;
    const stored = await t.http.get(`/admin/anomalies?userId=${victim.id}`).set({ Authorization: `Bearer ${adminToken}` });
    expect(stored.body.anomalies.map((a: { status: string; note?: string; createdAt: string }) => [a.createdAt, a.status, a.note])).toEqual([
      [dismissed, 'dismissed', 'the user’s own second device'],
      [confirmed, 'confirmed', undefined],
    ]);
    const user = await t.http.get(`/admin/users/${victim.id}`).set({ Authorization: `Bearer ${adminToken}` });
    expect(user.body.user.status).toBe('suspended');

    // Any status: both, with their outcome.
    await admin.getByLabel('Status').selectOption('');
    await show(admin);
    await expect(rows(admin).count()).resolves.toBe(2);
    await expect(rows(admin).nth(0).locator('td[data-label="Review"]').textContent()).resolves.toContain('dismissed');
    await expect(rows(admin).nth(0).locator('td[data-label="Review"]').textContent()).resolves.toContain('the user’s own second device');
    await expect(rows(admin).nth(1).locator('td[data-label="Review"]').textContent()).resolves.toContain('confirmed');
    await screenshot(admin, 'admin-anomalies-reviewed');

    // The user's page in the console links to the same list.
    await admin.goto(`${t.origin}${UI_ROUTES.adminUser.replace(':id', victim.id)}`);
    await onPage(admin, 'adminUser');
    await admin.getByRole('link', { name: 'Anomalies of this user' }).click();
    await onPage(admin, 'adminAnomalies');
    await expect.poll(() => rows(admin).count()).toBe(2);
    await victimContext.close();
    await adminContext.close();
  }, 120_000);
});
