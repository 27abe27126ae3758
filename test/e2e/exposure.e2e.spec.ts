import { afterEach, describe, expect, it } from 'vitest';
import { MetricsServer } from '../../src/metrics/metrics-server.js';
import { startApp, type TestApp } from '../support/test-app.js';

// Issue 8 #11: /metrics and /docs were public in production.

const TOKEN = 'metrics-token-0123456789abcdef';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const production = (env: Record<string, string> = {}) => ({ NODE_ENV: 'production', ...env });

describe('/metrics', () => {
  it('is off in production without METRICS_TOKEN or METRICS_PORT, and says how to turn it on', async () => {
    t = await startApp({ env: production() });
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'not_found', message: expect.stringMatching(/METRICS_TOKEN or METRICS_PORT/) });
    expect(res.text).not.toContain('gatehouse_');
  });

  it('with METRICS_TOKEN needs that bearer: missing or wrong is 401 invalid_token, right is 200', async () => {
    t = await startApp({ env: production({ METRICS_TOKEN: TOKEN }) });
    const missing = await t.http.get('/metrics');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ statusCode: 401, code: 'invalid_token', message: expect.any(String) });
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      expect((await t.http.get('/metrics').set('authorization', wrong)).status, wrong).toBe(401);
    }
    const right = await t.http.get('/metrics').set('authorization', `Bearer ${TOKEN}`);
    expect(right.status).toBe(200);
    expect(right.text).toContain('gatehouse_http_requests_total');
  });

  it('with METRICS_PORT is served on its own listener and not on the API port', async () => {
    t = await startApp({ env: production({ METRICS_PORT: '0' }) });
    expect((await t.http.get('/metrics')).status).toBe(404);
    const address = t.app.get(MetricsServer).address();
    expect(address?.address).toBe('127.0.0.1');
    const base = `http://127.0.0.1:${address!.port}`;
    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await scrape.text()).toContain('gatehouse_http_requests_total');
    const other = await fetch(`${base}/users/me`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ statusCode: 404, code: 'not_found', message: expect.any(String) });
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('with METRICS_PORT and METRICS_TOKEN, the own listener needs the bearer too', async () => {
    t = await startApp({ env: production({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN }) });
    const base = `http://127.0.0.1:${t.app.get(MetricsServer).address()!.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('stays public outside production when neither is set (local development)', async () => {
    t = await startApp();
    expect((await t.http.get('/metrics')).status).toBe(200);
  });
});

describe('/docs', () => {
  it('is off in production by default, and the RFC 8414 metadata then names no documentation', async () => {
    t = await startApp({ env: production() });
    for (const path of ['/docs', '/docs-json']) {
      const res = await t.http.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, code: 'not_found' });
    }
    const metadata = await t.http.get('/.well-known/oauth-authorization-server');
    expect(metadata.status).toBe(200);
    expect(metadata.body).not.toHaveProperty('service_documentation');
  });

  it('is on in production with DOCS_ENABLED=true, and off outside production with DOCS_ENABLED=false', async () => {
    t = await startApp({ env: production({ DOCS_ENABLED: 'true' }) });
    expect((await t.http.get('/docs')).status).toBe(200);
    expect((await t.http.get('/.well-known/oauth-authorization-server')).body.service_documentation).toMatch(/\/docs$/);
    expect((await t.http.get('/docs-json')).status).toBe(200);
    await t.close();
    t = await startApp({ env: { DOCS_ENABLED: 'false' } });
    expect((await t.http.get('/docs-json')).status).toBe(404);
  });
});
