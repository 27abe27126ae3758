import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/common/error-codes.js';
import { createLoggedIn, createUser, type LoggedIn } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

// Issue 8 "Tests and proof": random JSON (deep, wide, unicode, wrong types) thrown at every public
// endpoint and at a few authenticated ones. Whatever arrives: no 5xx, API.md's error shape, and a
// refused request writes nothing to the database. fast-check prints the seed of any failure
// (rerun with that seed to reproduce); the run sizes keep the whole file to a few seconds.

const RUNS = 10;
const CLIENT = `Basic ${Buffer.from('rs1:s3cret').toString('base64')}`;
/** Fields the endpoints know, so that generated bodies also reach validation with the right names. */
const FIELDS = ['email', 'password', 'name', 'refreshToken', 'token', 'token_type_hint', 'currentPassword', 'newPassword', 'newEmail', 'role', 'reason', 'client_id', 'client_secret', 'type', 'sid', 'sub', 'note', 'suspend'];
const ERROR_KEYS = new Set(['statusCode', 'code', 'message', 'details', 'error', 'error_description']);

const unicodeText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('\ud800', 'a\udfffb', '\u0000', '\u200b@example.test', 'ａｄｍｉｎ@ｅｘａｍｐｌｅ.test', '\u212aelvin@example.test', '__proto__', 'constructor'),
  fc.emailAddress(),
);
/** Any JSON value, deeper and stranger than a client would send. */
const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    unicodeText,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(unicodeText, tie('value'), { maxKeys: 5 }),
  ),
})).value;
/** `[[[...]]]` or `{"a":{"a":...}}` between 20 and 80 levels: past the 32-level limit or just under it. */
const deep = fc.tuple(fc.integer({ min: 20, max: 80 }), fc.boolean(), anyJson).map(([depth, asObjects, core]) => {
  let value: unknown = core;
  for (let i = 0; i < depth; i++) value = asObjects ? { a: value } : [value];
  return value;
});
const wide = fc.oneof(
  fc.array(fc.integer(), { minLength: 500, maxLength: 3000 }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.integer(), { minKeys: 200, maxKeys: 800 }),
);
/** Objects using the known field names with values of any type, plus unknown keys now and then. */
const knownFields = fc.record(
  Object.fromEntries(FIELDS.map((field) => [field, fc.oneof(unicodeText, anyJson, deep)])),
  { requiredKeys: [] },
);
const body = fc.oneof(knownFields, anyJson, deep, wide, fc.tuple(knownFields, fc.dictionary(unicodeText, anyJson, { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a })));
/** Thousands of levels, as text (building such a value would overflow the test's own stack). */
const veryDeepText = fc
  .tuple(fc.integer({ min: 1_000, max: 40_000 }), fc.boolean(), fc.constantFrom('token', 'email', 'refreshToken', 'x'))
  .map(([depth, asObjects, field]) => {
    const nested = asObjects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
    return `{"${field}":"x","y":${nested}}`;
  });
const payload = fc.oneof(
  { weight: 4, arbitrary: body.map((value) => JSON.stringify(value) ?? 'null') },
  { weight: 1, arbitrary: veryDeepText },
);
/** Also bytes that are not JSON at all, sent as application/json. */
const rawBytes = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes));

interface Endpoint {
  method: 'post' | 'patch' | 'delete';
  path: string;
  headers?: () => Record<string, string>;
}

let t: TestApp;
let user: LoggedIn;
let admin: LoggedIn;
let targetId: string;
let tables: string[];

beforeAll(async () => {
  t = await startApp({ env: { INTROSPECTION_CLIENTS: 'rs1:s3cret' } });
  user = await createLoggedIn(t);
  admin = await createLoggedIn(t, { role: 'admin' });
  targetId = (await createUser(t)).id;
  tables = (
    await t.sql<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    )
  ).map((row) => row.table_name);
});

afterAll(async () => {
  await t?.close();
});

/** Row count of every table: what "nothing was written" means here. */
async function rowCounts(): Promise<Record<string, number>> {
  const rows = await t.sql<{ name: string; n: string }>(tables.map((name) => `SELECT '${name}' AS name, count(*) AS n FROM "${name}"`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((row) => [row.name, Number(row.n)]));
}

/**
 * Row counts once they hold still: an accepted request of an earlier run may still be writing its
 * detached audit event (`recordDetached`), which must not be blamed on the request under test.
 */
async function settledRowCounts(): Promise<Record<string, number>> {
  let previous = await rowCounts();
  for (let attempt = 0; attempt < 40; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const current = await rowCounts();
    if (JSON.stringify(current) === JSON.stringify(previous)) return current;
    previous = current;
  }
  return previous;
}

async function throwAt(endpoint: Endpoint, payload: string | Buffer): Promise<void> {
  const before = await settledRowCounts();
  let request = t.http[endpoint.method](endpoint.path).set('content-type', 'application/json');
  for (const [name, value] of Object.entries(endpoint.headers?.() ?? {})) request = request.set(name, value);
  const res = await request.send(payload);
  const context = `${endpoint.method.toUpperCase()} ${endpoint.path} ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  expect(res.text, context).not.toMatch(/\n\s+at [\w$.<>]+ \(|node_modules|prisma|SELECT |\.ts:\d+/i);
  if (res.status < 400) return;
  expect(res.headers['content-type'], context).toMatch(/^application\/json/);
  expect(res.body, context).toMatchObject({ statusCode: res.status, code: expect.any(String), message: expect.any(String) });
  expect(Object.keys(ERROR_CODES), context).toContain(res.body.code);
  expect(ERROR_CODES[res.body.code as keyof typeof ERROR_CODES].status, context).toBe(res.status);
  expect(Object.keys(res.body).filter((key) => !ERROR_KEYS.has(key)), context).toEqual([]);
  if (res.body.details !== undefined) {
    expect(res.body.details, context).toEqual(expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]));
  }
  // A refused request changes nothing. (A 401 from login records a login_failed audit event by design.)
  if (res.status !== 401) expect(await rowCounts(), context).toEqual(before);
}

const PUBLIC: Endpoint[] = [
  { method: 'post', path: '/auth/register' },
  { method: 'post', path: '/auth/login' },
  { method: 'post', path: '/auth/refresh' },
  { method: 'post', path: '/auth/logout' },
  { method: 'post', path: '/auth/password/forgot' },
  { method: 'post', path: '/auth/password/reset' },
  { method: 'post', path: '/auth/email/verify' },
  { method: 'post', path: '/oauth/revoke' },
  { method: 'post', path: '/oauth/introspect' },
  { method: 'post', path: '/oauth/introspect', headers: () => ({ authorization: CLIENT }) },
  { method: 'post', path: '/oauth/signals', headers: () => ({ authorization: CLIENT }) },
];
const AUTHENTICATED: Endpoint[] = [
  { method: 'post', path: '/users/me/password', headers: () => user.bearer },
  { method: 'delete', path: '/users/me', headers: () => user.bearer },
  { method: 'post', path: '/users/me/email', headers: () => user.bearer },
  { method: 'patch', path: '/admin/users/:target/role', headers: () => admin.bearer },
  { method: 'post', path: '/admin/users/:target/suspend', headers: () => admin.bearer },
];

describe.each([...PUBLIC, ...AUTHENTICATED])('random JSON at $method $path', (template) => {
  it('never a 5xx, always the error shape, nothing written when refused', async () => {
    const endpoint = () => ({ ...template, path: template.path.replace(':target', targetId) });
    await fc.assert(
      fc.asyncProperty(payload, async (text) => throwAt(endpoint(), text)),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(rawBytes, async (bytes) => throwAt(endpoint(), bytes)),
      { numRuns: 2 },
    );
  });
});

describe('random query strings at GET /admin/users', () => {
  it('never a 5xx, always the error shape', async () => {
    const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'email', 'x'), fc.oneof(unicodeText, fc.integer().map(String)), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(query, async (params) => {
        const res = await t.http.get('/admin/users').set(admin.bearer).query(params);
        expect(res.status, res.text.slice(0, 200)).toBeLessThan(500);
        if (res.status >= 400) expect(res.body).toMatchObject({ statusCode: res.status, code: expect.any(String) });
      }),
      { numRuns: RUNS },
    );
  });
});
