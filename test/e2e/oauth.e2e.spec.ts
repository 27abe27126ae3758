import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, type LoggedIn } from '../support/factories.js';
import { startApp, TEST_AUDIENCE, TEST_ISSUER, type TestApp } from '../support/test-app.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const CLIENT = basic('rs1', 's3cret');

describe('RFC endpoints', () => {
  let t: TestApp;
  let admin: LoggedIn;
  beforeAll(async () => {
    t = await startApp({ env: { INTROSPECTION_CLIENTS: 'rs1:s3cret,rs2:other' } });
    admin = await createLoggedIn(t, { role: 'admin' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes RFC 8414 metadata', async () => {
    const res = await t.http.get('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: TEST_ISSUER,
      jwks_uri: `${TEST_ISSUER}/.well-known/jwks.json`,
      revocation_endpoint: `${TEST_ISSUER}/oauth/revoke`,
      introspection_endpoint: `${TEST_ISSUER}/oauth/introspect`,
    });
  });

  describe('introspection (RFC 7662)', () => {
    it('describes a live access token to an authenticated client', async () => {
      const user = await createLoggedIn(t);
      const res = await t.http.post('/oauth/introspect').set('Authorization', CLIENT).type('form').send({ token: user.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        active: true,
        token_type: 'Bearer',
        sub: user.id,
        sid: user.sessionId,
        role: 'user',
        iss: TEST_ISSUER,
        aud: TEST_AUDIENCE,
        exp: expect.any(Number),
        iat: expect.any(Number),
        jti: expect.any(String),
      });
    });

    it('answers only { active: false } for revoked, tampered, unknown or junk tokens', async () => {
      const user = await createLoggedIn(t);
      const tampered = user.accessToken.slice(0, -4) + (user.accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      await t.http.post('/auth/logout').set(user.bearer);
      for (const token of [user.accessToken, tampered, 'junk', user.refreshToken, 'a.b.c']) {
        const res = await t.http.post('/oauth/introspect').set('Authorization', CLIENT).send({ token });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ active: false });
      }
    });

    it('introspects the current refresh token of a live session; a rotated one is inactive', async () => {
      const user = await createLoggedIn(t);
      const live = await t.http.post('/oauth/introspect').set('Authorization', CLIENT).send({ token: user.refreshToken, token_type_hint: 'refresh_token' });
      expect(live.body).toMatchObject({ active: true, token_type: 'refresh_token', sub: user.id, sid: user.sessionId });
      // Every field API.md lists for an active token.
      expect(live.body).toMatchObject({
        role: 'user',
        iss: TEST_ISSUER,
        aud: TEST_AUDIENCE,
        exp: expect.any(Number),
        iat: expect.any(Number),
        jti: expect.any(String),
      });
      await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
      const used = await t.http.post('/oauth/introspect').set('Authorization', CLIENT).send({ token: user.refreshToken });
      expect(used.body).toEqual({ active: false });
    });

    it('accepts an admin bearer; rejects bad client credentials (401 invalid_client) and non-admins (403)', async () => {
      const user = await createLoggedIn(t);
      const asAdmin = await t.http.post('/oauth/introspect').set(admin.bearer).send({ token: user.accessToken });
      expect(asAdmin.body.active).toBe(true);
      for (const auth of [basic('rs1', 'wrong'), basic('nobody', 's3cret'), 'Basic !!!', undefined]) {
        const req = t.http.post('/oauth/introspect').send({ token: user.accessToken });
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('invalid_client');
        expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      }
      const asUser = await t.http.post('/oauth/introspect').set(user.bearer).send({ token: user.accessToken });
      expect(asUser.status).toBe(403);
      const missing = await t.http.post('/oauth/introspect').set('Authorization', CLIENT).send({});
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('validation_failed');
    });
  });

  describe('revocation (RFC 7009)', () => {
    for (const [label, pick, hint] of [
      ['an access token, hinted', (u: LoggedIn) => u.accessToken, 'access_token'],
      ['an access token, unhinted', (u: LoggedIn) => u.accessToken, undefined],
      ['a refresh token, hinted', (u: LoggedIn) => u.refreshToken, 'refresh_token'],
      ['a refresh token, wrongly hinted', (u: LoggedIn) => u.refreshToken, 'access_token'],
    ] as const) {
      it(`revoking ${label} revokes its session`, async () => {
        const user = await createLoggedIn(t);
        const res = await t.http
          .post('/oauth/revoke')
          .type('form')
          .send({ token: pick(user), ...(hint ? { token_type_hint: hint } : {}) });
        expect(res.status).toBe(200);
        expect((await t.http.get('/auth/session').set(user.bearer)).body.code).toBe('token_revoked');
        expect((await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken })).body.code).toBe('session_revoked');
        const [row] = await t.sql(`SELECT revoked_reason FROM sessions WHERE id = $1`, [user.sessionId]);
        expect(row.revoked_reason).toBe('oauth_revoke');
      });
    }

    it('answers 200 for unknown tokens and JSON bodies, 400 for a malformed request', async () => {
      expect((await t.http.post('/oauth/revoke').send({ token: 'never-issued' })).status).toBe(200);
      expect((await t.http.post('/oauth/revoke').type('form').send({ token: 'x.y.z' })).status).toBe(200);
      const bad = await t.http.post('/oauth/revoke').type('form').send({});
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('validation_failed');
    });
  });
});
