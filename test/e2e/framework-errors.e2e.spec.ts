import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, createUser, uniqueEmail, type LoggedIn } from '../support/factories.js';
import { listenLocally, rawBody, rawRequest } from '../support/http-client.js';
import { startApp, type TestApp } from '../support/test-app.js';

// Issue 8 #8: bad input that reached a 500 or a body outside API.md's error shape.

const ALLOWED_ORIGIN = 'https://app.example.test';

let t: TestApp;
let port: number;
let admin: LoggedIn;

beforeAll(async () => {
  t = await startApp();
  ({ port } = await listenLocally(t.app));
  admin = await createLoggedIn(t, { role: 'admin' });
});

afterAll(async () => {
  await t?.close();
});

/** API.md's error body and nothing else (the OAuth endpoints add RFC 6749's two members). */
function expectShape(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
  const allowed = ['statusCode', 'code', 'message', 'details', 'error', 'error_description'];
  expect(Object.keys(res.body as object).filter((key) => !allowed.includes(key))).toEqual([]);
  if ('error' in (res.body as object)) expect(res.body).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
}

describe('lone UTF-16 surrogates', () => {
  it.each([
    ['/auth/register', (email: string) => `{"email":"${email}","password":"a fine password"}`],
    ['/auth/login', (email: string) => `{"email":"${email}","password":"a fine password"}`],
  ])('in the email of %s: 400 validation_failed naming the field, not a 500', async (path, body) => {
    const before = await t.sql<{ n: string }>('SELECT count(*) AS n FROM users');
    const res = await t.http.post(path).set('content-type', 'application/json').send(body('\\ud800x@example.test'));
    expectShape(res, 400, 'validation_failed');
    expect(res.body.details).toEqual([{ field: 'email', message: expect.stringMatching(/surrogate/) }]);
    expect(await t.sql('SELECT count(*) AS n FROM users')).toEqual(before);
  });

  it('in any string field (name, password, token) and in a key', async () => {
    for (const [path, body] of [
      ['/auth/register', `{"email":"${uniqueEmail()}","password":"a fine password","name":"\\udc00"}`],
      ['/auth/login', `{"email":"${uniqueEmail()}","password":"pass\\ud83dword"}`],
      ['/oauth/revoke', '{"token":"\\udfff"}'],
      ['/auth/refresh', '{"\\ud800":"x"}'],
    ] as const) {
      const res = await t.http.post(path).set('content-type', 'application/json').send(body);
      expectShape(res, 400, 'validation_failed');
    }
    const form = await t.http.post('/oauth/revoke').type('form').send('token=%ED%A0%80');
    expect(form.status, JSON.stringify(form.body)).toBeLessThan(500);
  });

  it('in a query string or a path parameter: never a 500', async () => {
    const query = await t.http.get('/admin/users?email=%ED%A0%80').set(admin.bearer);
    expect(query.status, JSON.stringify(query.body)).toBeLessThan(500);
    const param = await t.http.get('/admin/users/%ED%A0%80').set(admin.bearer);
    expectShape(param, 400, 'validation_failed');
  });
});

describe("Fastify's own errors, in API.md's shape", () => {
  it('a path parameter over the length limit: 400 validation_failed that does not echo the URL', async () => {
    const id = 'x'.repeat(300);
    const res = await t.http.get(`/admin/users/${id}`).set(admin.bearer);
    expectShape(res, 400, 'validation_failed');
    expect(res.text).not.toContain(id.slice(0, 50));
  });

  it('a malformed URL: 400 validation_failed that does not echo it', async () => {
    const res = await t.http.get('/admin/users/%E0%A4%A-secret-looking').set(admin.bearer);
    expectShape(res, 400, 'validation_failed');
    expect(res.text).not.toContain('secret-looking');
  });

  it('headers too large: 431 headers_too_large with a JSON body', async () => {
    const exchange = await rawRequest(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(exchange.response).toMatch(/^HTTP\/1\.1 431 /);
    expect(exchange.response).toMatch(/content-type: application\/json/i);
    expect(rawBody(exchange.response)).toEqual({ statusCode: 431, code: 'headers_too_large', message: expect.any(String) });
  });

  it('an unparseable request line: 400 validation_failed with a JSON body', async () => {
    const exchange = await rawRequest(port, 'GET /health/live HTTP/1.1\r\nHost x\r\n\r\n');
    expect(exchange.response).toMatch(/^HTTP\/1\.1 400 /);
    expect(rawBody(exchange.response)).toEqual({ statusCode: 400, code: 'validation_failed', message: expect.any(String) });
  });

  it('a CORS preflight without its headers: 400 validation_failed; from a foreign origin: 403 forbidden; allowed: 204', async () => {
    const incomplete = await t.http.options('/auth/login').set('origin', ALLOWED_ORIGIN);
    expectShape(incomplete, 400, 'validation_failed');
    const foreign = await t.http.options('/auth/login').set('origin', 'https://evil.example').set('access-control-request-method', 'POST');
    expectShape(foreign, 403, 'forbidden');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const allowed = await t.http.options('/auth/login').set('origin', ALLOWED_ORIGIN).set('access-control-request-method', 'POST');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
  });

  it('a body in a media type nobody parses: 415 unsupported_media_type', async () => {
    const res = await t.http.post('/auth/login').set('content-type', 'text/plain').send('hello');
    expectShape(res, 415, 'unsupported_media_type');
  });

  it('a known path with the wrong method: 405 method_not_allowed with Allow; an unknown path: 404 not_found', async () => {
    const put = await t.http.put('/auth/login').send({});
    expectShape(put, 405, 'method_not_allowed');
    expect(put.headers.allow).toBe('POST');
    const get = await t.http.get('/auth/login');
    expectShape(get, 405, 'method_not_allowed');
    const user = await createUser(t);
    const getSession = await t.http.get(`/sessions/${user.id}`).set(admin.bearer);
    expectShape(getSession, 405, 'method_not_allowed');
    expect(getSession.headers.allow).toBe('DELETE');
    const sessions = await t.http.post('/sessions').set(admin.bearer);
    expect(sessions.headers.allow).toBe('GET, HEAD');
    expectShape(await t.http.get('/no/such/path'), 404, 'not_found');
    expectShape(await t.http.delete('/no/such/path'), 404, 'not_found');
  });
});
