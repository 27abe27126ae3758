import { randomUUID, sign as signWith } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysService } from '../../src/tokens/signing-keys.service.js';
import { createLoggedIn } from '../support/factories.js';
import { startApp, TEST_AUDIENCE, TEST_ISSUER, type TestApp } from '../support/test-app.js';

/** RFC 9068 2.2: the claims a JWT access token MUST carry. */
const RFC9068_REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

/** Strict third-party validators, configured as their READMEs say, accept Gatehouse tokens. */
describe('RFC 9068 access tokens under strict third-party validators', () => {
  let t: TestApp;
  let jwksUri: string;
  let resourceServer: ReturnType<typeof supertest>;

  beforeAll(async () => {
    t = await startApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    jwksUri = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/.well-known/jwks.json`;
    const app = express();
    app.use(auth({ issuer: TEST_ISSUER, jwksUri, audience: TEST_AUDIENCE, tokenSigningAlg: 'ES256', strict: true }));
    app.get('/resource', (req, res) => {
      res.json({ sub: req.auth?.payload.sub, clientId: req.auth?.payload.client_id });
    });
    resourceServer = supertest(app);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The real token with one claim removed, re-signed with the server's key (white box). */
  function withoutClaim(token: string, claim: string): string {
    const key = t.app.get(SigningKeysService).active;
    const claims: Record<string, unknown> = { ...payloadOf(token), jti: randomUUID() };
    delete claims[claim];
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })).toString('base64url');
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${signWith('sha256', Buffer.from(input), { key: key.privateKey!, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }

  it('carries client_id (ACCESS_TOKEN_CLIENT_ID, default gatehouse)', async () => {
    const user = await createLoggedIn(t);
    expect(payloadOf(user.accessToken).client_id).toBe('gatehouse');
  });

  it('express-oauth2-jwt-bearer with strict: true accepts it', async () => {
    const user = await createLoggedIn(t);
    const res = await resourceServer.get('/resource').set(user.bearer);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ sub: user.id, clientId: 'gatehouse' });
  });

  it('express-oauth2-jwt-bearer with strict: true refuses a token without client_id (the control)', async () => {
    const user = await createLoggedIn(t);
    const res = await resourceServer.get('/resource').set('Authorization', `Bearer ${withoutClaim(user.accessToken, 'client_id')}`);
    expect(res.status).toBe(401);
  });

  it("jose with RFC 9068's required claims and typ accepts it, and refuses it without client_id", async () => {
    const user = await createLoggedIn(t);
    const keys = createRemoteJWKSet(new URL(jwksUri));
    const options = { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'], requiredClaims: RFC9068_REQUIRED };
    const { payload, protectedHeader } = await jwtVerify(user.accessToken, keys, options);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: user.id, client_id: 'gatehouse', sid: user.sessionId });
    await expect(jwtVerify(withoutClaim(user.accessToken, 'client_id'), keys, options)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'client_id',
    });
  });

  it('names a configured client_id', async () => {
    const other = await startApp({ env: { ACCESS_TOKEN_CLIENT_ID: 'billing-web' } });
    try {
      const user = await createLoggedIn(other);
      expect(payloadOf(user.accessToken).client_id).toBe('billing-web');
    } finally {
      await other.close();
    }
  });
});
