import { sign as signWith } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysService } from '../../src/tokens/signing-keys.service.js';
import { createLoggedIn, type LoggedIn } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

/**
 * RFC 8414 / 7009 / 7662 as a third-party OAuth client library (oauth4webapi) sees them. The
 * issuer is configured WITH a trailing slash: discovery, `iss` and metadata must still agree.
 */
const ISSUER = 'http://issuer.gatehouse.test';
const RS = { client_id: 'rs1' };
const PUBLIC_CLIENT = { client_id: 'gatehouse' };

const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

describe('OAuth conformance, driven by oauth4webapi', () => {
  let t: TestApp;
  let as: oauth.AuthorizationServer;
  let options: { [oauth.customFetch]: typeof fetch; [oauth.allowInsecureRequests]: true };

  beforeAll(async () => {
    t = await startApp({ env: { JWT_ISSUER: `${ISSUER}/`, INTROSPECTION_CLIENTS: 'rs1:s3cret' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    // The issuer's host name is not resolvable here: send its requests to the test server.
    const toTestServer: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      return fetch(url.replace(ISSUER, origin), init);
    };
    options = { [oauth.customFetch]: toTestServer, [oauth.allowInsecureRequests]: true };
    const response = await oauth.discoveryRequest(new URL(ISSUER), { algorithm: 'oauth2', ...options });
    as = await oauth.processDiscoveryResponse(new URL(ISSUER), response);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function introspect(token: string, auth: oauth.ClientAuth, extra: Record<string, string> = {}) {
    const response = await oauth.introspectionRequest(as, RS, auth, token, { ...options, additionalParameters: extra });
    return oauth.processIntrospectionResponse(as, RS, response);
  }

  async function revoke(token: string, client: oauth.Client, auth: oauth.ClientAuth, extra: Record<string, string> = {}) {
    const response = await oauth.revocationRequest(as, client, auth, token, { ...options, additionalParameters: extra });
    return oauth.processRevocationResponse(response);
  }

  async function sessionAlive(user: LoggedIn): Promise<boolean> {
    const res = await t.http.get('/auth/session').set(user.bearer);
    return res.status === 200;
  }

  it('discovers byte-identical issuer and iss, and names only registered auth methods', async () => {
    const user = await createLoggedIn(t);
    expect(as.issuer).toBe(ISSUER);
    expect(payloadOf(user.accessToken).iss).toBe(as.issuer);
    expect(as).toMatchObject({
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      response_types_supported: [],
      service_documentation: `${ISSUER}/docs`,
    });
    // RFC 8414 implies authorization_code + implicit when absent: it must be present, and honest.
    expect(as.grant_types_supported).toEqual(expect.arrayContaining([expect.stringMatching(/^urn:gatehouse:/)]));
    expect(as.grant_types_supported).not.toContain('authorization_code');
    expect(as.grant_types_supported).not.toContain('implicit');
    const registered = ['none', 'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'];
    for (const member of ['token', 'revocation', 'introspection'] as const) {
      const methods = as[`${member}_endpoint_auth_methods_supported`];
      expect(methods?.length, member).toBeGreaterThan(0);
      for (const method of methods!) expect(registered, `${member}: ${method}`).toContain(method);
    }
  });

  it('introspects with client_secret_basic and client_secret_post, ignoring unknown parameters', async () => {
    const user = await createLoggedIn(t);
    const viaBasic = await introspect(user.accessToken, oauth.ClientSecretBasic('s3cret'), { resource: 'https://api.example.test' });
    expect(viaBasic).toMatchObject({ active: true, sub: user.id, sid: user.sessionId, iss: ISSUER, client_id: 'gatehouse' });
    const viaPost = await introspect(user.accessToken, oauth.ClientSecretPost('s3cret'));
    expect(viaPost.active).toBe(true);
    expect(await introspect('not-a-token', oauth.ClientSecretBasic('s3cret'))).toEqual({ active: false });
  });

  it('refuses wrong introspection credentials as invalid_client, in OAuth form', async () => {
    const user = await createLoggedIn(t);
    // HTTP Basic failed: RFC 6749 5.2 asks for a challenge, which oauth4webapi surfaces as such.
    const basic = await introspect(user.accessToken, oauth.ClientSecretBasic('wrong')).catch((error: unknown) => error);
    expect(basic).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = basic as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0].scheme).toBe('basic');
    expect(await challenge.response.json()).toMatchObject({
      statusCode: 401,
      code: 'invalid_client',
      message: expect.any(String),
      error: 'invalid_client',
      error_description: expect.any(String),
    });
    const post = await introspect(user.accessToken, oauth.ClientSecretPost('wrong')).catch((error: unknown) => error);
    expect(post).toBeInstanceOf(oauth.ResponseBodyError);
    expect(post).toMatchObject({ status: 401, error: 'invalid_client', error_description: expect.any(String) });
  });

  it('revokes as the public client (client_id only), ignoring unknown parameters', async () => {
    const user = await createLoggedIn(t);
    await revoke(user.accessToken, PUBLIC_CLIENT, oauth.None(), { resource: 'https://api.example.test', token_type_hint: 'access_token' });
    expect(await sessionAlive(user)).toBe(false);
    const [row] = await t.sql(`SELECT revoked_reason FROM sessions WHERE id = $1`, [user.sessionId]);
    expect(row.revoked_reason).toBe('oauth_revoke');
  });

  it('revokes as a confidential client with its secret', async () => {
    const user = await createLoggedIn(t);
    await revoke(user.refreshToken, RS, oauth.ClientSecretBasic('s3cret'));
    expect(await sessionAlive(user)).toBe(false);
  });

  it('refuses wrong revocation credentials with 401 invalid_client and revokes nothing (RFC 7009 2.1)', async () => {
    const user = await createLoggedIn(t);
    const basic = await revoke(user.accessToken, RS, oauth.ClientSecretBasic('wrong')).catch((error: unknown) => error);
    expect(basic).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect((basic as oauth.WWWAuthenticateChallengeError).status).toBe(401);
    const post = await revoke(user.accessToken, RS, oauth.ClientSecretPost('wrong')).catch((error: unknown) => error);
    expect(post).toMatchObject({ status: 401, error: 'invalid_client' });
    const unknownPublic = await revoke(user.accessToken, { client_id: 'someone-else' }, oauth.None()).catch((error: unknown) => error);
    expect(unknownPublic).toMatchObject({ status: 401, error: 'invalid_client' });
    // A confidential client's id without its secret is not a public client.
    const noSecret = await revoke(user.accessToken, RS, oauth.None()).catch((error: unknown) => error);
    expect(noSecret).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(await sessionAlive(user)).toBe(true);
  });

  it('answers a malformed request with invalid_request beside the API error shape', async () => {
    const res = await t.http.post('/oauth/revoke').type('form').send({ token_type_hint: 'access_token' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      code: 'validation_failed',
      message: expect.any(String),
      error: 'invalid_request',
      error_description: expect.any(String),
    });
    const twoMethods = await t.http
      .post('/oauth/introspect')
      .set('Authorization', `Basic ${Buffer.from('rs1:s3cret').toString('base64')}`)
      .type('form')
      .send({ token: 'x', client_id: 'rs1', client_secret: 's3cret' });
    expect(twoMethods.body).toMatchObject({ statusCode: 400, error: 'invalid_request' });
  });

  it('keeps OAuth members out of the rest of the API', async () => {
    const res = await t.http.get('/auth/session');
    expect(res.status).toBe(401);
    expect(res.body).not.toHaveProperty('error');
    expect(res.body).not.toHaveProperty('error_description');
  });

  it('an expired access token revokes nothing', async () => {
    const user = await createLoggedIn(t);
    // White box: only the server's own key can sign a genuine token that has expired.
    const key = t.app.get(SigningKeysService).active;
    const now = Math.floor(Date.now() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })).toString('base64url');
    const claims = { ...payloadOf(user.accessToken), iat: now - 400, exp: now - 100 };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = signWith('sha256', Buffer.from(input), { key: key.privateKey!, dsaEncoding: 'ieee-p1363' });
    const expired = `${input}.${signature.toString('base64url')}`;

    await revoke(expired, PUBLIC_CLIENT, oauth.None());

    expect(await sessionAlive(user)).toBe(true);
    const [row] = await t.sql(`SELECT revoked_at FROM sessions WHERE id = $1`, [user.sessionId]);
    expect(row.revoked_at).toBeNull();
  });
});
