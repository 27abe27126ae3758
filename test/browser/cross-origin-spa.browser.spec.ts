import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../support/factories.js';
import { freePort, launchChromium, startListeningApp, type ListeningApp } from '../support/browser.js';

/** A tiny SPA on its own origin that loads gatehouse-client.js from Gatehouse, as SPA authors will. */
function spaPage(gatehouse: string): string {
  return `<!doctype html><meta charset="utf-8"><title>SPA</title><p id="state">loading</p>
<script type="module">
  import { createAuthClient } from '${gatehouse}/client/gatehouse-client.js';
  const auth = createAuthClient({ baseUrl: '${gatehouse}' });
  window.auth = auth;
  window.ended = [];
  auth.onSessionEnd((reason) => window.ended.push(reason));
  auth.onChange((user) => (document.getElementById('state').textContent = user ? user.email : 'signed out'));
  window.restored = auth.restore().then((user) => user && user.email, (error) => 'error ' + error.code);
</script>`;
}

async function serveSpa(gatehouse: string): Promise<{ server: Server; origin: string }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    response.writeHead(request.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(request.url === '/' ? spaPage(gatehouse) : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${port}` };
}

declare global {
  interface Window {
    auth: import('../../client/src/gatehouse-client.js').AuthClient;
    ended: string[];
    restored: Promise<string | null>;
  }
}

describe('an SPA on another origin using gatehouse-client.js cross-origin', () => {
  let t: ListeningApp;
  let browser: Browser;
  let spa: { server: Server; origin: string };
  let foreign: { server: Server; origin: string };

  beforeAll(async () => {
    const port = await freePort();
    const gatehouse = `http://localhost:${port}`;
    spa = await serveSpa(gatehouse);
    foreign = await serveSpa(gatehouse);
    // Only the SPA's origin is allowed; the foreign one is not.
    t = await startListeningApp({ CORS_ORIGINS: spa.origin, ACCESS_TOKEN_TTL_SECONDS: '10', PUBLIC_APP_URL: gatehouse }, port);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    spa?.server.close();
    foreign?.server.close();
  });

  const restored = (page: Page) => page.evaluate(() => window.restored);

  it('signs in, survives a reload, refreshes before expiry, logs out', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    const refreshed: number[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/auth/refresh') refreshed.push(response.status());
    });
    await page.goto(spa.origin);
    await expect(restored(page)).resolves.toBeNull();
    expect(refreshed).toEqual([401]); // no cookie yet: restore's one attempt
    refreshed.length = 0;

    await expect(page.evaluate(({ email, password }) => window.auth.login({ email, password }).then((u) => u.email), user)).resolves.toBe(user.email.toLowerCase());
    // The refresh token is in Gatehouse's HttpOnly cookie: nothing a script on the SPA can read.
    await expect(page.evaluate(() => document.cookie)).resolves.toBe('');

    await page.reload();
    await expect(restored(page)).resolves.toBe(user.email.toLowerCase());
    expect(refreshed).toEqual([200]);
    const me = () => page.evaluate(() => window.auth.fetch('/users/me').then(async (r) => [r.status, (await r.json()).user?.email]));
    await expect(me()).resolves.toEqual([200, user.email.toLowerCase()]);

    // The 10 s token is refreshed 2 s before it expires, silently.
    await expect.poll(() => refreshed.length, { timeout: 15_000, interval: 250 }).toBe(2);
    expect(refreshed).toEqual([200, 200]);
    await expect(me()).resolves.toEqual([200, user.email.toLowerCase()]);

    await page.evaluate(() => window.auth.logout());
    await expect(page.evaluate(() => window.ended)).resolves.toEqual(['logged_out']);
    await page.reload();
    await expect(restored(page)).resolves.toBeNull();
    await context.close();
  });

  it('a page on an origin not in CORS_ORIGINS cannot sign in', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(foreign.origin);
    await restored(page);
    const outcome = await page.evaluate(
      ({ email, password }) => window.auth.login({ email, password }).then(() => 'signed in', (error: { code: string }) => error.code),
      user,
    );
    expect(outcome).toBe('network_error');
    await context.close();
  });
});
