import { createHmac, createPublicKey, generateKeyPairSync, randomUUID, sign as signWith, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SigningKeysService } from '../../src/tokens/signing-keys.service.js';
import { bearer, createLoggedIn, type LoggedIn } from '../support/factories.js';
import { listenLocally } from '../support/http-client.js';
import { startApp, TEST_AUDIENCE, TEST_ISSUER, type TestApp } from '../support/test-app.js';

type Json = Record<string, unknown>;

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
}

const b64 = (value: Json | Buffer) => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

function decode(token: string): { header: Json; payload: Json; signature: string } {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Json,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json,
    signature: signature,
  };
}

/** ES256 JWS signed with a key of our own (JOSE r||s signature encoding). */
function signEs256(header: Json, payload: Json, privateKey: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = signWith('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(signature)}`;
}

function signHs256(header: Json, payload: Json, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
}

let t: TestApp;
let me: LoggedIn;
// Short-lived tokens for the expiry tests, issued first so their wait overlaps the other tests.
let shortLived: TestApp;
let cached: LoggedIn;
let uncached: LoggedIn;

beforeAll(async () => {
  [t, shortLived] = await Promise.all([startApp(), startApp({ env: { ACCESS_TOKEN_TTL_SECONDS: '10', CLOCK_SKEW_SECONDS: '0' } })]);
  cached = await createLoggedIn(shortLived);
  uncached = await createLoggedIn(shortLived);
  me = await createLoggedIn(t);
});

afterAll(async () => {
  await Promise.all([t?.close(), shortLived?.close()]);
});

const session = (app: TestApp, token: string) => app.http.get('/auth/session').set(bearer(token));

describe('issued access tokens', () => {
  it('have the RFC 9068 header: ES256, typ at+jwt, and the kid of a published key', async () => {
    const { header } = decode(me.accessToken);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    const jwks = await t.http.get('/.well-known/jwks.json');
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toContain(header.kid);
    const active = await t.sql(`SELECT kid FROM signing_keys WHERE status = 'active'`);
    expect(active).toEqual([{ kid: header.kid }]);
  });

  it('carry iss, aud, sub, sid, role, jti, iat and exp, with exp - iat = 300', () => {
    const { payload } = decode(me.accessToken);
    expect(payload).toMatchObject({
      iss: TEST_ISSUER,
      aud: TEST_AUDIENCE,
      sub: me.id,
      sid: me.sessionId,
      role: 'user',
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('are verifiable with the published JWKS key (what a resource server does)', async () => {
    const { header } = decode(me.accessToken);
    const jwks = await t.http.get('/.well-known/jwks.json');
    const jwk = jwks.body.keys.find((key: { kid: string }) => key.kid === header.kid);
    const [h, p, s] = me.accessToken.split('.');
    const { verify } = await import('node:crypto');
    const valid = verify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    expect(valid).toBe(true);
  });

  it('every token has its own jti', async () => {
    const other = await t.http.post('/auth/refresh').send({ refreshToken: me.refreshToken });
    expect(other.status).toBe(200);
    me = { ...me, refreshToken: other.body.refreshToken };
    expect(decode(other.body.accessToken).payload.jti).not.toBe(decode(me.accessToken).payload.jti);
  });

  it('the original token is accepted (the control for every rejection below)', async () => {
    const res = await session(t, me.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ active: true, sub: me.id, sid: me.sessionId });
  });
});

describe('forged and broken tokens answer 401 invalid_token', () => {
  it('a tampered payload (role escalated) with the original signature', async () => {
    const { header, payload, signature } = decode(me.accessToken);
    const forged = `${b64(header)}.${b64({ ...payload, role: 'admin' })}.${signature}`;
    expectError(await session(t, forged), 401, 'invalid_token');
    const otherUser = `${b64(header)}.${b64({ ...payload, sub: randomUUID() })}.${signature}`;
    expectError(await session(t, otherUser), 401, 'invalid_token');
  });

  it('a tampered signature', async () => {
    const [h, p, s] = me.accessToken.split('.');
    const bytes = Buffer.from(s, 'base64url');
    bytes[10] = bytes[10] ^ 0xff;
    expectError(await session(t, `${h}.${p}.${b64(bytes)}`), 401, 'invalid_token');
  });

  it('alg none (with and without a signature part)', async () => {
    const { header, payload } = decode(me.accessToken);
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${b64({ ...header, alg })}.${b64(payload)}.`;
      expectError(await session(t, unsigned), 401, 'invalid_token');
      const junkSigned = `${b64({ ...header, alg })}.${b64(payload)}.${b64(Buffer.from('junk'))}`;
      expectError(await session(t, junkSigned), 401, 'invalid_token');
    }
  });

  it('HS256 signed with the public key as the HMAC secret (PEM, JWK JSON, raw x)', async () => {
    const { header, payload } = decode(me.accessToken);
    const jwks = await t.http.get('/.well-known/jwks.json');
    const jwk = jwks.body.keys.find((key: { kid: string }) => key.kid === header.kid);
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
    const secrets: Array<string | Buffer> = [pem, pem.trim(), JSON.stringify(jwk), jwk.x, Buffer.from(jwk.x, 'base64url')];
    for (const secret of secrets) {
      const forged = signHs256({ ...header, alg: 'HS256' }, { ...payload, role: 'admin' }, secret);
      expectError(await session(t, forged), 401, 'invalid_token');
    }
  });

  it('a token signed by a key of our own, under the real kid or an unknown kid, or with the key embedded in the header', async () => {
    const { header, payload } = decode(me.accessToken);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expectError(await session(t, signEs256(header, payload, privateKey)), 401, 'invalid_token');
    expectError(await session(t, signEs256({ ...header, kid: 'attacker-key' }, payload, privateKey)), 401, 'invalid_token');
    const embedded = { ...header, kid: 'attacker-key', jwk: publicKey.export({ format: 'jwk' }) };
    expectError(await session(t, signEs256(embedded, payload, privateKey)), 401, 'invalid_token');
    const noKid = { alg: 'ES256', typ: 'at+jwt' };
    expectError(await session(t, signEs256(noKid, payload, privateKey)), 401, 'invalid_token');
  });

  it('an unknown kid leaves the database alone after a reload (no key appears)', async () => {
    const { header, payload } = decode(me.accessToken);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // The active key and the next one, published before it signs.
    const before = await t.sql('SELECT count(*)::int AS n FROM signing_keys');
    for (let i = 0; i < 5; i++) {
      expectError(await session(t, signEs256({ ...header, kid: `unknown-${i}` }, payload, privateKey)), 401, 'invalid_token');
    }
    expect(before).toEqual([{ n: 2 }]);
    expect(await t.sql('SELECT count(*)::int AS n FROM signing_keys')).toEqual(before);
  });


  it.each([
    ['garbage', 'garbage'],
    ['two parts', 'aaa.bbb'],
    ['non-JSON header', `${Buffer.from('not json').toString('base64url')}.e30.c2ln`],
    ['JSON array header', `${b64(Buffer.from('[1]'))}.e30.c2ln`],
    ['an empty bearer', ''],
  ])('malformed: %s', async (_label, token) => {
    expectError(await t.http.get('/auth/session').set('Authorization', `Bearer ${token}`), 401, 'invalid_token');
  });

  it('a huge token', async () => {
    const { header, payload, signature } = decode(me.accessToken);
    const huge = `${b64(header)}.${b64({ ...payload, pad: 'p'.repeat(6000) })}.${signature}`;
    expectError(await session(t, huge), 401, 'invalid_token');
  });
});

describe('tokens signed with the real key but breaking a rule', () => {
  // White box on purpose: only the server's own private key can prove that the claim and header
  // checks, not the signature check, reject these. Taken from the running app, never exported.
  function signWithRealKey(header: Json, claims: Json): string {
    const key = t.app.get(SigningKeysService).active;
    return signEs256({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header }, claims, key.privateKey!);
  }

  function validClaims(overrides: Json = {}): Json {
    const { payload } = decode(me.accessToken);
    const now = Math.floor(Date.now() / 1000);
    return { ...payload, iat: now, exp: now + 300, jti: randomUUID(), ...overrides };
  }

  it('the control: correct header and claims are accepted', async () => {
    const res = await session(t, signWithRealKey({}, validClaims()));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it.each([
    ['typ JWT', { typ: 'JWT' }],
    ['typ id_token', { typ: 'id_token' }],
    ['no typ', { typ: undefined }],
    ['a critical extension', { crit: ['b64'], b64: false }],
  ])('a wrong header: %s', async (_label, header) => {
    expectError(await session(t, signWithRealKey(header, validClaims())), 401, 'invalid_token');
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.test' }],
    ['another audience', { aud: 'another-api' }],
    ['no sid', { sid: undefined }],
    ['no sub', { sub: undefined }],
    ['an unknown role', { role: 'superuser' }],
    ['no jti', { jti: undefined }],
    ['no exp', { exp: undefined }],
    ['iat an hour ahead', { iat: Math.floor(Date.now() / 1000) + 3600 }],
    ['nbf an hour ahead', { nbf: Math.floor(Date.now() / 1000) + 3600 }],
  ])('wrong claims: %s → invalid_token', async (_label, overrides) => {
    expectError(await session(t, signWithRealKey({}, validClaims(overrides))), 401, 'invalid_token');
  });

  it('a lifetime (exp - iat) beyond ACCESS_TOKEN_TTL_SECONDS + leeway → invalid_token, even with the real key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ttl = t.config.get('ACCESS_TOKEN_TTL_SECONDS');
    const leeway = t.config.get('CLOCK_SKEW_SECONDS');
    expectError(await session(t, signWithRealKey({}, validClaims({ iat: now, exp: now + 86_400 }))), 401, 'invalid_token');
    expectError(await session(t, signWithRealKey({}, validClaims({ iat: now, exp: now + ttl + leeway + 1 }))), 401, 'invalid_token');
    expect((await session(t, signWithRealKey({}, validClaims({ iat: now, exp: now + ttl + leeway })))).status).toBe(200);
  });

  it('exp past the clock-skew leeway → token_expired; within it → still accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectError(await session(t, signWithRealKey({}, validClaims({ iat: now - 400, exp: now - 60 }))), 401, 'token_expired');
    expect((await session(t, signWithRealKey({}, validClaims({ iat: now - 300, exp: now - 1 })))).status).toBe(200);
  });

  it('a valid signature does not save a token of a revoked session', async () => {
    const fresh = await createLoggedIn(t);
    expect((await t.http.post('/auth/logout').set(fresh.bearer)).status).toBe(204);
    const { payload } = decode(fresh.accessToken);
    expectError(await session(t, signWithRealKey({}, validClaims({ sub: payload.sub, sid: payload.sid }))), 401, 'token_revoked');
  });
});

describe('issuer and audience', () => {
  it('another deployment (other iss or aud) on the same keys rejects the token with invalid_token', async () => {
    // Same database, hence the same signing keys: only iss/aud can tell the deployments apart.
    const otherAudience = await startApp({ databaseUrl: t.databaseUrl, env: { JWT_AUDIENCE: 'some-other-api' } });
    const otherIssuer = await startApp({ databaseUrl: t.databaseUrl, env: { JWT_ISSUER: 'https://other-issuer.example.test' } });
    const sameDeployment = await startApp({ databaseUrl: t.databaseUrl });
    try {
      expect((await session(sameDeployment, me.accessToken)).status).toBe(200);
      expectError(await session(otherAudience, me.accessToken), 401, 'invalid_token');
      expectError(await session(otherIssuer, me.accessToken), 401, 'invalid_token');

      // And the other way round: a token of the other audience is refused here.
      const login = await otherAudience.http.post('/auth/login').send({ email: me.email, password: me.password });
      expect(login.status).toBe(200);
      expect(decode(login.body.accessToken).payload.aud).toBe('some-other-api');
      expect((await session(otherAudience, login.body.accessToken)).status).toBe(200);
      expectError(await session(t, login.body.accessToken), 401, 'invalid_token');
    } finally {
      await Promise.all([otherAudience.close(), otherIssuer.close(), sameDeployment.close()]);
    }
  });
});

describe('revocation is checked on every verification, cached or not', () => {
  it('verify twice (the second from the verified-token cache), log out, and the third call answers token_revoked', async () => {
    const fresh = await createLoggedIn(t);
    expect((await session(t, fresh.accessToken)).status).toBe(200);
    expect((await session(t, fresh.accessToken)).status).toBe(200);
    expect((await t.http.post('/auth/logout').set(fresh.bearer)).status).toBe(204);
    expectError(await session(t, fresh.accessToken), 401, 'token_revoked');
    expectError(await t.http.get('/users/me').set(fresh.bearer), 401, 'token_revoked');
  });
});

describe('one kept-alive connection (the guard remembers the token a connection sent last)', () => {
  /** GET /auth/session on one socket, request after request; `reused` says it was that socket. */
  async function connection(app: TestApp) {
    const { baseUrl } = await listenLocally(app.app);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (token: string) =>
      new Promise<{ status: number; body: Json; reused: boolean }>((resolve, reject) => {
        const req = http.get(`${baseUrl}/auth/session`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Json, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    return { get, close: () => agent.destroy() };
  }

  it('answers for the token sent now: another token, a broken one, then the first one revoked', async () => {
    const [first, second] = [await createLoggedIn(t), await createLoggedIn(t)];
    const sut = await connection(t);
    try {
      const answers = [await sut.get(first.accessToken), await sut.get(first.accessToken), await sut.get(second.accessToken), await sut.get(first.accessToken)];
      expect(answers.map((res) => [res.status, res.body.sub])).toEqual([
        [200, first.id],
        [200, first.id],
        [200, second.id],
        [200, first.id],
      ]);
      expect(answers.slice(1).every((res) => res.reused)).toBe(true);
      const broken = await sut.get(`${first.accessToken.slice(0, -2)}AA`);
      expectError(broken, 401, 'invalid_token');
      expect((await sut.get(first.accessToken)).status).toBe(200);
      expect((await t.http.post('/auth/logout').set(first.bearer)).status).toBe(204);
      const revoked = await sut.get(first.accessToken);
      expect(revoked.reused).toBe(true);
      expectError(revoked, 401, 'token_revoked');
      expect((await sut.get(second.accessToken)).status).toBe(200);
    } finally {
      sut.close();
    }
  });

  it('and token_expired once the token sent again has expired', async () => {
    const fresh = await createLoggedIn(shortLived);
    const sut = await connection(shortLived);
    try {
      expect((await sut.get(fresh.accessToken)).status).toBe(200);
      expect((await sut.get(fresh.accessToken)).status).toBe(200);
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      try {
        vi.setSystemTime((decode(fresh.accessToken).payload.exp as number) * 1000 + 1100);
        const expired = await sut.get(fresh.accessToken);
        expect(expired.reused).toBe(true);
        expectError(expired, 401, 'token_expired');
      } finally {
        vi.useRealTimers();
      }
    } finally {
      sut.close();
    }
  });
});

describe('expiry', () => {
  it('honours ACCESS_TOKEN_TTL_SECONDS in exp - iat and expiresIn', async () => {
    const { payload } = decode(cached.accessToken);
    expect((payload.exp as number) - (payload.iat as number)).toBe(10);
    const res = await shortLived.http.post('/auth/refresh').send({ refreshToken: uncached.refreshToken });
    expect(res.body.expiresIn).toBe(10);
    uncached = { ...uncached, refreshToken: res.body.refreshToken };
  });

  it('answers token_expired past exp, both for a token verified before (cache) and one never seen', async () => {
    // Fresh 10 s tokens (those from beforeAll may have expired already on a loaded machine). The
    // cached one is verified while fresh, so the second look comes from the verified-token cache.
    const cached = await createLoggedIn(shortLived);
    const uncached = await createLoggedIn(shortLived);
    expect((await session(shortLived, cached.accessToken)).status).toBe(200);
    const exp = Math.max(decode(cached.accessToken).payload.exp as number, decode(uncached.accessToken).payload.exp as number);
    // Move the server's clock (the same process) 1.1 s past exp instead of waiting 10 s for it:
    // only Date is faked, timers and I/O stay real, and the clock runs on from there.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(exp * 1000 + 1100);
      expectError(await session(shortLived, cached.accessToken), 401, 'token_expired');
      expectError(await session(shortLived, cached.accessToken), 401, 'token_expired');
      expectError(await session(shortLived, uncached.accessToken), 401, 'token_expired');
      // The session itself is fine: refreshing gets a working token.
      const res = await shortLived.http.post('/auth/refresh').send({ refreshToken: cached.refreshToken });
      expect(res.status).toBe(200);
      expect((await session(shortLived, res.body.accessToken)).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
