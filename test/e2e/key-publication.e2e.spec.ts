import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, loginAs, type LoggedIn } from '../support/factories.js';
import { startApp, TEST_AUDIENCE, TEST_ISSUER, type TestApp } from '../support/test-app.js';

const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid: string }).kid;

/**
 * Keys are published before they sign (API.md "Tokens"): a verifier that fetched the JWKS before
 * a rotation or an emergency key revocation knows the key that signs next. Checked with jose's
 * createRemoteJWKSet, whose 30 s refetch cooldown turns an unknown kid into
 * ERR_JWKS_NO_MATCHING_KEY: the failure resource servers saw before.
 */
describe('signing keys published before use', () => {
  let t: TestApp;
  let admin: LoggedIn;
  let jwksUrl: URL;

  beforeAll(async () => {
    t = await startApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    jwksUrl = new URL(`http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/.well-known/jwks.json`);
    admin = await createLoggedIn(t, { role: 'admin' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const jwksKids = async () => ((await t.http.get('/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((key) => key.kid);
  const verifyWith = (keys: ReturnType<typeof createRemoteJWKSet>, token: string) =>
    jwtVerify(token, keys, { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'] });

  /** A JWKS cache as a resource server holds it: fetched once, then within jose's cooldown. */
  async function warmCache(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const keys = createRemoteJWKSet(jwksUrl);
    await verifyWith(keys, (await createLoggedIn(t)).accessToken);
    return keys;
  }

  it('publishes the active key and a next key; /admin/keys keeps its statuses and names the next key apart', async () => {
    const user = await createLoggedIn(t);
    const kids = await jwksKids();
    const res = await t.http.get('/admin/keys').set(admin.bearer);

    expect(res.status).toBe(200);
    const active = (res.body.keys as Array<{ kid: string; status: string }>).filter((key) => key.status === 'active');
    expect(active.map((key) => key.kid)).toEqual([kidOf(user.accessToken)]);
    for (const key of res.body.keys as Array<{ status: string }>) expect(['active', 'retiring', 'revoked']).toContain(key.status);
    expect(res.body.next).toMatchObject({ kid: expect.any(String), alg: 'ES256', createdAt: expect.any(String) });
    expect(res.body.next.kid).not.toBe(active[0].kid);
    expect(kids).toEqual(expect.arrayContaining([active[0].kid, res.body.next.kid]));
  });

  it('rotation promotes the published next key: a JWKS cached before it never meets an unknown kid', async () => {
    const keys = await warmCache();
    const announcedNext = (await t.http.get('/admin/keys').set(admin.bearer)).body.next.kid as string;

    const rotated = await t.http.post('/admin/keys/rotate').set(admin.bearer);
    expect(rotated.status).toBe(201);
    expect(rotated.body.kid).toBe(announcedNext);

    const after = await createLoggedIn(t);
    expect(kidOf(after.accessToken)).toBe(announcedNext);
    await expect(verifyWith(keys, after.accessToken)).resolves.toMatchObject({ payload: { sub: after.id } });
    // And a new next key is published at once, for the rotation after this one.
    const next = (await t.http.get('/admin/keys').set(admin.bearer)).body.next.kid as string;
    expect(next).not.toBe(announcedNext);
    expect(await jwksKids()).toContain(next);
  });

  it('an emergency revocation of the active key promotes the published next key', async () => {
    const victim = await createLoggedIn(t);
    const keys = await warmCache();
    const compromised = kidOf(victim.accessToken);
    const announcedNext = (await t.http.get('/admin/keys').set(admin.bearer)).body.next.kid as string;

    expect((await t.http.post(`/admin/keys/${compromised}/revoke`).set(admin.bearer)).status).toBe(204);

    expect((await t.http.get('/auth/session').set(victim.bearer)).body.code).toBe('token_revoked');
    const refreshed = await t.http.post('/auth/refresh').send({ refreshToken: victim.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(kidOf(refreshed.body.accessToken)).toBe(announcedNext);
    await expect(verifyWith(keys, refreshed.body.accessToken)).resolves.toBeDefined();
    const kids = await jwksKids();
    expect(kids).not.toContain(compromised);
    expect(kids).toContain((await t.http.get('/admin/keys').set(admin.bearer)).body.next.kid);
  });

  it('revoking the next key replaces it before it ever signs', async () => {
    const before = await createLoggedIn(t);
    const next = (await t.http.get('/admin/keys').set(admin.bearer)).body.next.kid as string;

    expect((await t.http.post(`/admin/keys/${next}/revoke`).set(admin.bearer)).status).toBe(204);

    const listed = (await t.http.get('/admin/keys').set(admin.bearer)).body;
    expect(listed.next.kid).not.toBe(next);
    expect(listed.keys).toContainEqual(expect.objectContaining({ kid: next, status: 'revoked' }));
    expect(await jwksKids()).not.toContain(next);
    // The active key was not touched.
    expect((await t.http.get('/auth/session').set(before.bearer)).status).toBe(200);
    const rotated = await t.http.post('/admin/keys/rotate').set(admin.bearer);
    expect(rotated.body.kid).toBe(listed.next.kid);
    expect(kidOf((await loginAs(t, before)).accessToken)).toBe(listed.next.kid);
  });
});
