import { describe, expect, it } from 'vitest';
import { bearerChallenge, VerifierError } from './errors.js';
import { checkClaims, isExpired, normalizeIssuer, type ClaimRules } from './token-rules.js';

const RULES: ClaimRules = { issuer: 'https://auth.example.test', audience: 'api', leewaySeconds: 5, maxLifetimeSeconds: 300 };
const NOW = 1_900_000_000;

function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: RULES.issuer,
    aud: RULES.audience,
    sub: 'user-1',
    sid: 'session-1',
    role: 'user',
    jti: 'jti-1',
    iat: NOW,
    exp: NOW + 300,
    auth_time: NOW - 10.5,
    client_id: 'gatehouse',
    ...overrides,
  };
}

function codeOf(check: () => unknown): string {
  try {
    check();
    return 'accepted';
  } catch (error) {
    return (error as VerifierError).code;
  }
}

describe('the shared token rules', () => {
  it('accepts a token as Gatehouse issues it, client_id included', () => {
    expect(checkClaims(payload(), 'kid-1', RULES, NOW)).toMatchObject({ sub: 'user-1', client_id: 'gatehouse', kid: 'kid-1' });
    // Tokens issued before client_id existed stay valid until they expire.
    expect(codeOf(() => checkClaims(payload({ client_id: undefined }), 'kid-1', RULES, NOW))).toBe('accepted');
    expect(codeOf(() => checkClaims(payload({ client_id: 7 }), 'kid-1', RULES, NOW))).toBe('invalid_token');
  });

  it('has one expiry comparison: expired from exp + leeway on, not a second later', () => {
    expect(isExpired(NOW + 300, NOW + 304.999, 5)).toBe(false);
    expect(isExpired(NOW + 300, NOW + 305, 5)).toBe(true);
    expect(codeOf(() => checkClaims(payload(), 'kid-1', RULES, NOW + 305))).toBe('token_expired');
    expect(codeOf(() => checkClaims(payload(), 'kid-1', RULES, NOW + 304.9))).toBe('accepted');
  });

  it('refuses a token claiming a longer lifetime than the configured TTL + leeway', () => {
    expect(codeOf(() => checkClaims(payload({ exp: NOW + 305 }), 'kid-1', RULES, NOW))).toBe('accepted');
    expect(codeOf(() => checkClaims(payload({ exp: NOW + 306 }), 'kid-1', RULES, NOW))).toBe('invalid_token');
    expect(codeOf(() => checkClaims(payload({ exp: NOW + 86_400 }), 'kid-1', RULES, NOW))).toBe('invalid_token');
  });

  it('refuses iat in the future beyond the leeway, and non-numeric times', () => {
    expect(codeOf(() => checkClaims(payload({ iat: NOW + 6, exp: NOW + 306 }), 'kid-1', RULES, NOW))).toBe('invalid_token');
    expect(codeOf(() => checkClaims(payload({ exp: String(NOW + 300) }), 'kid-1', RULES, NOW))).toBe('invalid_token');
    expect(codeOf(() => checkClaims(payload({ exp: Infinity }), 'kid-1', RULES, NOW))).toBe('invalid_token');
  });

  it('normalises an issuer to one spelling', () => {
    expect(normalizeIssuer('https://Auth.Example.test/')).toBe('https://auth.example.test');
    expect(normalizeIssuer('https://auth.example.test:443/tenant//')).toBe('https://auth.example.test/tenant');
    expect(() => normalizeIssuer('https://auth.example.test/?x=1')).toThrow(TypeError);
    expect(() => normalizeIssuer('auth.example.test')).toThrow(TypeError);
  });
});

describe('bearerChallenge (RFC 6750 3)', () => {
  it('names the error for a presented token, none for a missing one, insufficient_scope for 403', () => {
    expect(bearerChallenge(new VerifierError('invalid_token'), false)).toBe('Bearer');
    expect(bearerChallenge(new VerifierError('token_revoked'))).toBe('Bearer error="invalid_token", error_description="The access token has been revoked."');
    expect(bearerChallenge(new VerifierError('forbidden'), true, 'api')).toBe('Bearer realm="api", error="insufficient_scope", error_description="You are not allowed to do this."');
    expect(bearerChallenge(new VerifierError('service_unavailable'))).toBeUndefined();
    expect(bearerChallenge(new VerifierError('invalid_token', 'say "hi" \\ bye'))).toBe('Bearer error="invalid_token", error_description="say hi  bye"');
  });
});
