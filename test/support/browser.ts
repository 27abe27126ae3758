import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startApp, type TestApp } from './test-app.js';

/** Debian's Chromium, never a downloaded browser (.ci/run installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ARTIFACTS = path.resolve('test/artifacts');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A free TCP port on 127.0.0.1 (the app's public URL must name its port before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ListeningApp extends TestApp {
  /** http://localhost:<port>: the origin the browser uses (Chromium treats it as secure). */
  origin: string;
}

/**
 * The app listening on 127.0.0.1 for a real browser. Its public origin is http://localhost:<port>
 * and CORS_ORIGINS does NOT list it: the UI's cookie-mode calls pass as same-origin requests.
 */
export async function startListeningApp(env: Record<string, string> = {}, port?: number): Promise<ListeningApp> {
  port ??= await freePort();
  const origin = `http://localhost:${port}`;
  const app = await startApp({ env: { PUBLIC_APP_URL: origin, ...env } });
  await app.app.listen({ port, host: '127.0.0.1' });
  return { ...app, origin };
}

export interface BrowserSuite {
  readonly t: ListeningApp;
  readonly browser: Browser;
}

/**
 * For a describe block: the app (with `env`, or what `env()` answers once earlier hooks ran) and
 * one Chromium, started before its tests and stopped after them.
 */
export function browserSuite(env: Record<string, string> | (() => Record<string, string>) = {}): BrowserSuite {
  const suite: { t?: ListeningApp; browser?: Browser } = {};
  beforeAll(async () => {
    suite.t = await startListeningApp(typeof env === 'function' ? env() : env);
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.t?.close();
  });
  return {
    get t() {
      return suite.t as ListeningApp;
    },
    get browser() {
      return suite.browser as Browser;
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Waits until the UI drew the named page (main.ts marks body[data-page][data-ready]). */
export async function onPage(page: Page, name: string, timeout = 10_000): Promise<void> {
  await page.waitForSelector(`body[data-page="${name}"][data-ready]`, { timeout });
}

export async function signIn(page: Page, origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/sign-in`);
  await onPage(page, 'signIn');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await onPage(page, 'account');
}

/** How many times the server rotated a session's refresh token (each refresh stores one successor). */
export async function rotations(t: TestApp, sessionId: string): Promise<number> {
  const [row] = await t.sql<{ count: string }>('SELECT count(*) FROM refresh_tokens WHERE session_id = $1', [sessionId]);
  return Number(row.count) - 1;
}

export async function sessionIdOf(t: TestApp, email: string): Promise<string> {
  const rows = await t.sql<{ id: string }>(
    `SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.revoked_at IS NULL ORDER BY s.created_at DESC`,
    [email.toLowerCase()],
  );
  expect(rows.length).toBeGreaterThan(0);
  return rows[0].id;
}
