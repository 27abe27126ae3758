import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../support/factories.js';
import { launchChromium, onPage, rotations, sessionIdOf, signIn, startListeningApp, type ListeningApp } from '../support/browser.js';

const TTL_SECONDS = 10; // the smallest the config allows: the leader refreshes 2 s before expiry
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two tabs, short-lived access tokens: one refresh per expiry, one token for both tabs', () => {
  let t: ListeningApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startListeningApp({ ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the server sees exactly one refresh per expiry while both tabs stay signed in', async () => {
    const user = await createUser(t);
    const context = await browser.newContext();
    const refreshes: Request[] = [];
    const lastBearer = new Map<Page, string>();
    context.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname === '/auth/refresh') refreshes.push(request);
      const authorization = request.headers().authorization;
      if (pathname === '/auth/session' && authorization) lastBearer.set(request.frame().page(), authorization);
    });
    const first = await context.newPage();
    await signIn(first, t.origin, user.email, user.password);
    // Before signing in, the page asked once whether a refresh cookie exists (401: none); not counted.
    refreshes.length = 0;
    const second = await context.newPage();
    await second.goto(`${t.origin}/account`);
    await onPage(second, 'account');
    // The second tab got the session from the first one: no refresh to open it.
    expect(refreshes).toHaveLength(0);
    const sessionId = await sessionIdOf(t, user.email);

    const started = Date.now();
    await sleep(3 * (TTL_SECONDS - 2) * 1000 + 1500);
    const elapsed = Date.now() - started;
    const rotated = await rotations(t, sessionId);
    // Every refresh the tabs sent rotated the token (no second tab repeating one within the grace
    // window), and there was one per token lifetime, not one per tab.
    expect(refreshes.length).toBe(rotated);
    expect(rotated).toBeGreaterThanOrEqual(3);
    expect(rotated).toBeLessThanOrEqual(Math.ceil(elapsed / ((TTL_SECONDS - 2) * 1000)));
    // Both tabs carry the same (newest) access token on their liveness checks.
    expect(lastBearer.get(first)).toBeDefined();
    await expect.poll(() => lastBearer.get(first) === lastBearer.get(second), { timeout: 6000, interval: 200 }).toBe(true);

    // Reloading the tab that refreshes hands the lead over; the reloaded tab needs no refresh.
    const before = refreshes.length;
    await first.reload();
    await onPage(first, 'account');
    await second.reload();
    await onPage(second, 'account');
    expect(refreshes.length).toBe(before);
    await context.close();
  }, 90_000);
});
