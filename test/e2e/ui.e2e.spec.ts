import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/common/error-codes.js';
import { UI_CONTENT_SECURITY_POLICY } from '../../src/ui/serve-ui.js';
import { UI_FEATURES, UI_ROUTES } from '../../src/ui/ui-routes.js';
import { ERROR_MESSAGES } from '../../web/src/messages.js';
import { createUser } from '../support/factories.js';
import { startApp, TEST_ISSUER, type TestApp } from '../support/test-app.js';

const PUBLIC_URL = 'https://id.example.test';
const CORS_ORIGIN = 'https://spa.example.test';

describe('UI serving: index.html on UI routes, assets, the browser client, API paths untouched', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { PUBLIC_APP_URL: PUBLIC_URL, CORS_ORIGINS: CORS_ORIGIN } });
  });
  afterAll(() => t?.close());

  it('every UI route answers the index page with the strict CSP, no cache and no referrer', async () => {
    for (const route of Object.values(UI_ROUTES)) {
      const res = await t.http.get(route.replace(':id', '6f1c1f36-4a5e-4a43-9a43-2b3f2c1f6d10'));
      expect(res.status, route).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.text).toContain('<main id="main"');
      expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(UI_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(UI_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(UI_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('the built page has no inline script or style and loads only same-origin assets, cached for good', async () => {
    const page = (await t.http.get('/')).text;
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const assets = [...page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((found) => found[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const res = await t.http.get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect((await t.http.get('/assets/missing.js')).status).toBe(404);
  });

  it('the features meta tag names exactly the optional endpoints this server has', async () => {
    const page = (await t.http.get('/account')).text;
    const named = /<meta name="gatehouse-features" content="([^"]*)">/.exec(page)?.[1].split(' ').filter(Boolean) ?? [];
    const fastify = t.app.getHttpAdapter().getInstance();
    const present = Object.entries(UI_FEATURES).filter(([, route]) => fastify.hasRoute(route)).map(([name]) => name);
    expect(named.sort()).toEqual(present.sort());
  });

  it('API paths keep answering as the API, unknown paths with the JSON 404', async () => {
    const admin = await t.http.get('/admin/users').set('Accept', 'text/html');
    expect(admin.status).toBe(401);
    expect(admin.body.code).toBe('invalid_token');
    const missing = await t.http.get('/no/such/page').set('Accept', 'text/html');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'not_found' });
  });

  it('serves the browser client as a small JavaScript module', async () => {
    const res = await t.http.get('/client/gatehouse-client.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.text).toContain('createAuthClient');
    expect(res.text.length).toBeLessThan(12_000);
  });

  it('the UI has a message for every error code of the catalog', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !ERROR_MESSAGES[code]);
    expect(missing).toEqual([]);
  });
});

describe('same-origin cookie mode: Gatehouse’s own configured origin passes the CSRF check', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { PUBLIC_APP_URL: `${PUBLIC_URL}/some/path`, CORS_ORIGINS: CORS_ORIGIN } });
  });
  afterAll(() => t?.close());

  async function cookieSession() {
    const user = await createUser(t);
    const res = await t.http.post('/auth/login').set('X-Auth-Mode', 'cookie').send({ email: user.email, password: user.password });
    expect(res.status).toBe(200);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((value) => value.startsWith('gatehouse_refresh='))!;
    return cookie.split(';')[0];
  }
  const refresh = (cookie: string, origin: string | undefined, host?: string) => {
    let request = t.http.post('/auth/refresh').set('Cookie', cookie).set('X-Requested-With', 'gatehouse');
    if (origin) request = request.set('Origin', origin);
    if (host) request = request.set('Host', host);
    return request.send({});
  };

  it('a refresh from PUBLIC_APP_URL’s origin passes without that origin in CORS_ORIGINS', async () => {
    const res = await refresh(await cookieSession(), PUBLIC_URL);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('still needs X-Requested-With from the own origin', async () => {
    const res = await t.http.post('/auth/refresh').set('Cookie', await cookieSession()).set('Origin', PUBLIC_URL).send({});
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_rejected');
  });

  it('an Origin that merely matches the Host header is refused (a client picks its Host)', async () => {
    const res = await refresh(await cookieSession(), 'https://evil.example.test', 'evil.example.test');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_rejected');
    const lookalike = await refresh(await cookieSession(), `${PUBLIC_URL}.evil.test`);
    expect(lookalike.body.code).toBe('csrf_rejected');
    const otherScheme = await refresh(await cookieSession(), PUBLIC_URL.replace('https:', 'http:'));
    expect(otherScheme.body.code).toBe('csrf_rejected');
  });

  it('logout from the own origin passes too', async () => {
    const cookie = await cookieSession();
    const res = await t.http.post('/auth/logout').set('Cookie', cookie).set('Origin', PUBLIC_URL).set('X-Requested-With', 'gatehouse').send({});
    expect(res.status).toBe(204);
  });
});

describe('without PUBLIC_APP_URL the issuer names the own origin; UI_ENABLED=false serves no UI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { UI_ENABLED: 'false' } });
  });
  afterAll(() => t?.close());

  it('the issuer’s origin passes the CSRF check', async () => {
    const user = await createUser(t);
    const login = await t.http.post('/auth/login').set('X-Auth-Mode', 'cookie').send({ email: user.email, password: user.password });
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? [])[0].split(';')[0];
    const res = await t.http.post('/auth/refresh').set('Cookie', cookie).set('Origin', TEST_ISSUER).set('X-Requested-With', 'gatehouse').send({});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('no UI pages, but the browser client is still served for SPAs elsewhere', async () => {
    expect((await t.http.get('/')).status).toBe(404);
    expect((await t.http.get('/account')).status).toBe(404);
    expect((await t.http.get('/client/gatehouse-client.js')).status).toBe(200);
  });
});
