import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createLoggedIn } from '../support/factories.js';
import { withClient } from '../support/databases.js';
import { startApp, type TestApp } from '../support/test-app.js';

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves Prometheus metrics', async () => {
    const user = await createLoggedIn(t);
    await t.http.get('/auth/session').set(user.bearer);
    await t.http.post('/auth/logout').set(user.bearer);
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/gatehouse_http_requests_total\{method="GET",route="\/auth\/session",status="200"\} 1/);
    expect(res.text).toMatch(/gatehouse_revocation_cache_entries [1-9]/);
    expect(res.text).toContain('gatehouse_http_request_duration_seconds_bucket');
  });

  it('serves the OpenAPI document and UI', async () => {
    const json = await t.http.get('/docs-json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toMatch(/^3\./);
    for (const path of ['/auth/login', '/auth/refresh', '/admin/users/{id}/role', '/oauth/introspect', '/events/revocations']) {
      expect(Object.keys(json.body.paths)).toContain(path);
    }
    const ui = await t.http.get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('<html');
  });
});

describe('when the database goes away', () => {
  it('answers 503 service_unavailable, never a 500 or a half-written result, and /health/ready says so', async () => {
    const t = await startApp();
    try {
      const user = await createLoggedIn(t);
      const name = new URL(t.databaseUrl).pathname.slice(1);
      await withClient(inject('databaseAdminUrl'), (client) => client.query(`DROP DATABASE "${name}" WITH (FORCE)`));
      const login = await t.http.post('/auth/login').send({ email: user.email, password: user.password });
      expect(login.status).toBe(503);
      expect(login.body).toEqual({ statusCode: 503, code: 'service_unavailable', message: expect.any(String) });
      expect(login.headers['retry-after']).toBeDefined();
      const refresh = await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(refresh.status).toBe(503);
      const ready = await t.http.get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ statusCode: 503, code: 'service_unavailable', database: 'down' });
      expect((await t.http.get('/health/live')).status).toBe(200);
      // Verification needs no database: a live token keeps working.
      expect((await t.http.get('/auth/session').set(user.bearer)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('rate limiting', () => {
  it('answers 429 rate_limited with Retry-After once an IP exceeds RATE_LIMIT_AUTH_PER_MINUTE', async () => {
    const t = await startApp({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '3' } });
    try {
      const responses = [];
      for (let i = 0; i < 4; i++) {
        responses.push(await t.http.post('/auth/login').send({ email: 'nobody@example.test', password: 'whatever-123' }));
      }
      expect(responses.map((res) => res.status)).toEqual([401, 401, 401, 429]);
      const last = responses[3];
      expect(last.body).toEqual({ statusCode: 429, code: 'rate_limited', message: expect.any(String) });
      expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
      // Token verification is not rate limited.
      expect((await t.http.get('/health/live')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('request formats', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('takes form bodies only on the RFC endpoints; elsewhere 415 unsupported_media_type', async () => {
    const res = await t.http.post('/auth/register').type('form').send({ email: 'form@example.test', password: 'long-enough-1' });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ statusCode: 415, code: 'unsupported_media_type', message: expect.any(String) });
    expect(await t.sql(`SELECT 1 FROM users WHERE email = 'form@example.test'`)).toHaveLength(0);
    expect((await t.http.post('/oauth/revoke').type('form').send({ token: 'unknown' })).status).toBe(200);
  });

  it('treats the admin email filter as a literal substring (no LIKE wildcards)', async () => {
    const admin = await createLoggedIn(t, { role: 'admin' });
    await createLoggedIn(t, { email: `literal-ab${Date.now()}@example.test` });
    for (const pattern of ['%', '_', 'literal-a_']) {
      const res = await t.http.get('/admin/users').query({ email: pattern }).set(admin.bearer);
      expect(res.status).toBe(200);
      expect(res.body.users, pattern).toEqual([]);
    }
    expect((await t.http.get('/admin/users').query({ email: 'literal-ab' }).set(admin.bearer)).body.users).toHaveLength(1);
  });
});
