import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import passport from 'passport';
import { afterEach, describe, expect, it } from 'vitest';
import { GatehouseStrategy, type GatehouseValidate } from './passport.js';
import { useFakeGatehouse } from './testing/fake-gatehouse.fixture.js';
import { within } from './testing/outcomes.js';
import type { GatehouseVerifier } from './verifier.js';

const fx = useFakeGatehouse();
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A plain Express + passport app, as passport's own README sets one up. */
async function appWith(verifier: GatehouseVerifier, validate?: GatehouseValidate): Promise<string> {
  const authenticator = new passport.Passport();
  authenticator.use(new GatehouseStrategy({ verifier }, validate));
  const app = express();
  app.get('/me', authenticator.authenticate('gatehouse', { session: false }), (req, res) => {
    res.json(req.user);
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/me`;
}

const call = (url: string, token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('GatehouseStrategy (passport-jwt)', () => {
  it('verifies with the JWKS key of the token’s kid and hands the claims to validate', async () => {
    const url = await appWith(await fx.startVerifier(), (claims, done) => done(null, { id: claims.sub, role: claims.role }));
    const res = await call(url, fx.gatehouse.sign({ sub: 'user-9' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'user-9', role: 'user' });
  });

  it('finds a key rotated in after start (unknown kid → JWKS refetch)', async () => {
    const url = await appWith(await fx.startVerifier());
    const rotated = fx.gatehouse.addKey();
    const res = await call(url, fx.gatehouse.sign({}, { kid: rotated }));
    expect(res.status).toBe(200);
  });

  it('applies the live revocation feed: a revoked session fails within a second, with a challenge', async () => {
    const url = await appWith(await fx.startVerifier());
    const token = fx.gatehouse.sign({ sid: 'passport-revoked' });
    expect((await call(url, token)).status).toBe(200);

    fx.gatehouse.revoke({ sid: 'passport-revoked' });

    await within(1000, async () => (await call(url, token)).status === 401);
    const res = await call(url, token);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token has been revoked."');
  });

  it('applies the Gatehouse header and claim rules that passport-jwt alone would not', async () => {
    const url = await appWith(await fx.startVerifier());
    const wrongType = fx.gatehouse.sign({}, { header: { typ: 'JWT' } });
    const tooLong = fx.gatehouse.sign({ exp: Math.floor(Date.now() / 1000) + 86_400 });
    const noSession = fx.gatehouse.sign({ sid: undefined });
    for (const token of [wrongType, tooLong, noSession, fx.gatehouse.signHs256()]) {
      const res = await call(url, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    }
    const missing = await call(url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers 503, not 401, while the feed is down and the policy rejects', async () => {
    const verifier = await fx.startVerifier({ onFeedLoss: 'reject' });
    const url = await appWith(verifier);
    fx.gatehouse.feedStatus = 503;
    fx.gatehouse.dropStreams();
    await within(1000, () => verifier.status().feed.state === 'lost');
    expect((await call(url, fx.gatehouse.sign())).status).toBe(503);
  });
});
