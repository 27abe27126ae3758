import { describe, expect, it, vi } from 'vitest';
import { useFakeGatehouse } from './testing/fake-gatehouse.fixture.js';
import { createVerifier } from './verifier.js';
import type { VerifierOptions } from './verifier.options.js';

function rejectionCode(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'accepted',
    (error: unknown) => (error as { code?: string } | undefined)?.code ?? String(error),
  );
}

function withSegment(token: string, index: number, replace: (segment: string) => string): string {
  const parts = token.split('.');
  parts[index] = replace(parts[index]);
  return parts.join('.');
}

const fx = useFakeGatehouse();
const { newVerifier, startVerifier } = fx;

describe('verifier: token rules', () => {
  it('accepts a valid token and returns its claims with the kid', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign({ sub: 'user-1', sid: 'session-1', role: 'admin' });

    const claims = await sut.verify(token);

    expect(claims).toMatchObject({ sub: 'user-1', sid: 'session-1', role: 'admin', kid: fx.gatehouse.activeKid });
    expect(claims.iss).toBe('http://gatehouse.fake');
    expect(typeof claims.auth_time).toBe('number');
  });

  it('accepts the media-type form of typ, as the server does', async () => {
    const sut = await startVerifier();
    await expect(sut.verify(fx.gatehouse.sign({}, { header: { typ: 'application/at+jwt' } }))).resolves.toBeDefined();
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign({ role: 'user' });
    const forged = fx.gatehouse.sign({ role: 'admin' });
    const tampered = withSegment(token, 1, () => forged.split('.')[1]);

    expect(await rejectionCode(sut.verify(tampered))).toBe('invalid_token');
  });

  it('rejects a token with a damaged signature', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign();
    const damaged = withSegment(token, 2, (signature) => (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1));
    const damagedAt5 = withSegment(token, 2, (s) => s.slice(0, 5) + (s[5] === 'A' ? 'B' : 'A') + s.slice(6));

    expect(await rejectionCode(sut.verify(damaged))).toBe('invalid_token');
    expect(await rejectionCode(sut.verify(damagedAt5))).toBe('invalid_token');
  });

  it('rejects alg none and HS256 signed with the public key', async () => {
    const sut = await startVerifier();
    expect(await rejectionCode(sut.verify(fx.gatehouse.unsigned()))).toBe('invalid_token');
    expect(await rejectionCode(sut.verify(fx.gatehouse.signHs256()))).toBe('invalid_token');
  });

  it('rejects a wrong or missing typ, a crit header, and a missing kid', async () => {
    const sut = await startVerifier();
    for (const header of [{ typ: 'JWT' }, { typ: undefined }, { crit: ['exp'] }, { kid: undefined }, { kid: '' }]) {
      expect(await rejectionCode(sut.verify(fx.gatehouse.sign({}, { header }))), JSON.stringify(header)).toBe('invalid_token');
    }
  });

  it('rejects a wrong issuer or audience', async () => {
    const sut = await startVerifier();
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ iss: 'http://evil.example' })))).toBe('invalid_token');
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ aud: 'another-api' })))).toBe('invalid_token');
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ aud: ['gatehouse-fake'] })))).toBe('invalid_token');
  });

  it('rejects an expired token beyond the leeway and accepts one within it', async () => {
    const sut = await startVerifier({ clockToleranceSeconds: 5 });
    const now = Math.floor(Date.now() / 1000);

    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ iat: now - 400, exp: now - 10 })))).toBe('token_expired');
    await expect(sut.verify(fx.gatehouse.sign({ iat: now - 300, exp: now - 2 }))).resolves.toBeDefined();
  });

  it('rejects a token issued in the future beyond the leeway', async () => {
    const sut = await startVerifier({ clockToleranceSeconds: 5 });
    const now = Math.floor(Date.now() / 1000);

    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ iat: now + 60, exp: now + 360 })))).toBe('invalid_token');
    await expect(sut.verify(fx.gatehouse.sign({ iat: now + 3, exp: now + 303 }))).resolves.toBeDefined();
  });

  it.each(['sub', 'sid', 'role', 'jti', 'iat', 'exp', 'auth_time'])('rejects a token without %s', async (claim) => {
    const sut = await startVerifier();
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ [claim]: undefined })))).toBe('invalid_token');
  });

  it('rejects an unknown role and claims of the wrong type', async () => {
    const sut = await startVerifier();
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ role: 'root' })))).toBe('invalid_token');
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ sid: 42 })))).toBe('invalid_token');
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign({ exp: String(Date.now() / 1000 + 300) })))).toBe('invalid_token');
  });

  it('rejects malformed input without throwing synchronously', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign();
    for (const input of ['', 'abc', token.split('.').slice(0, 2).join('.'), `${token}.x`, `${token}==`, 'a'.repeat(5000), 42]) {
      expect(await rejectionCode(sut.verify(input as string))).toBe('invalid_token');
    }
  });

  it('rejects a token whose kid names another known key', async () => {
    const sut = await startVerifier({ jwksCooldownMs: 50 });
    const first = fx.gatehouse.activeKid;
    const second = fx.gatehouse.addKey();
    await expect(sut.verify(fx.gatehouse.sign({}, { kid: second }))).resolves.toBeDefined();

    const mislabelled = fx.gatehouse.sign({}, { kid: second, header: { kid: first } });

    expect(await rejectionCode(sut.verify(mislabelled))).toBe('invalid_token');
  });
});

describe('verifier: signing keys', () => {
  it('fetches the JWKS once at start, not per token', async () => {
    const sut = await startVerifier();
    for (let i = 0; i < 20; i++) await sut.verify(fx.gatehouse.sign());
    expect(fx.gatehouse.jwksRequests).toBe(1);
  });

  it('refetches the JWKS once when a token names a new kid, then knows it', async () => {
    const sut = await startVerifier({ jwksCooldownMs: 50 });
    fx.gatehouse.addKey();
    const tokens = Array.from({ length: 10 }, () => fx.gatehouse.sign());

    const results = await Promise.all(tokens.map((token) => sut.verify(token)));

    expect(results.every((claims) => claims.kid === fx.gatehouse.activeKid)).toBe(true);
    expect(fx.gatehouse.jwksRequests).toBe(2);
    await sut.verify(fx.gatehouse.sign());
    expect(fx.gatehouse.jwksRequests).toBe(2);
    expect(sut.status().jwks.kids).toContain(fx.gatehouse.activeKid);
  });

  it('rejects a kid the JWKS does not have, fetching at most once per cooldown however many arrive', async () => {
    const sut = await startVerifier({ jwksCooldownMs: 400 });
    const unpublished = () => fx.gatehouse.sign({}, { kid: fx.gatehouse.addKey({ activate: false, publish: false }) });
    const started = Date.now();

    const codes = await Promise.all(Array.from({ length: 20 }, () => rejectionCode(sut.verify(unpublished()))));
    const again = await rejectionCode(sut.verify(unpublished()));

    expect(codes).toEqual(Array(20).fill('invalid_token'));
    expect(again).toBe('invalid_token');
    // The start-up fetch, one for the burst (after the cooldown), one more for the straggler.
    expect(fx.gatehouse.jwksRequests).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('a kid rotated just after a fetch waits for the cooldown, then verifies', async () => {
    const sut = await startVerifier({ jwksCooldownMs: 300 });
    const rotated = fx.gatehouse.addKey();
    const started = Date.now();

    await expect(sut.verify(fx.gatehouse.sign({}, { kid: rotated }))).resolves.toMatchObject({ kid: rotated });

    expect(fx.gatehouse.jwksRequests).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers service_unavailable when the JWKS cannot be fetched', async () => {
    const sut = newVerifier({ jwksUri: 'http://127.0.0.1:9/jwks.json', jwksCooldownMs: 0, startupTimeoutMs: 2000 });

    await expect(sut.ready()).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(await rejectionCode(sut.verify(fx.gatehouse.sign()))).toBe('service_unavailable');
    expect(sut.status().jwks.lastError).toMatch(/JWKS fetch/);
  });
});

describe('verifier: verified-token cache', () => {
  it('serves a repeat token from the cache and still expires it at exp', async () => {
    const sut = await startVerifier({ clockToleranceSeconds: 0 });
    const now = Math.floor(Date.now() / 1000);
    const token = fx.gatehouse.sign({ iat: now, exp: now + 60 });
    const first = await sut.verify(token);
    expect(await sut.verify(token)).toBe(first);
    expect(sut.status().cachedTokens).toBe(1);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime((now + 61) * 1000);

    expect(await rejectionCode(sut.verify(token))).toBe('token_expired');
    expect(sut.status().cachedTokens).toBe(0);
  });

  it('keeps at most cacheSize tokens', async () => {
    const sut = await startVerifier({ cacheSize: 3 });
    for (let i = 0; i < 10; i++) await sut.verify(fx.gatehouse.sign());
    expect(sut.status().cachedTokens).toBe(3);
  });

  it('does not cache rejected tokens', async () => {
    const sut = await startVerifier();
    await rejectionCode(sut.verify(fx.gatehouse.sign({ aud: 'other' })));
    expect(sut.status().cachedTokens).toBe(0);
  });
});

describe('createVerifier options', () => {
  it('refuses incomplete options with a clear message', () => {
    const base = fx.gatehouse.verifierOptions();
    expect(() => createVerifier({ ...base, issuer: '' })).toThrow(/"issuer"/);
    expect(() => createVerifier({ ...base, revocations: { url: base.jwksUri } } as unknown as VerifierOptions)).toThrow(/"clientId"/);
    expect(() => createVerifier({ ...base, onFeedLoss: 'maybe' as 'accept' })).toThrow(/onFeedLoss/);
  });
});
