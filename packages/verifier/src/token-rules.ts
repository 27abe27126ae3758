import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { VerifierError } from './errors.js';

/**
 * Gatehouse's access-token rules, the one copy (DESIGN.md "The hot path", steps 1 and 2): the
 * server and every resource server verify with exactly these functions. Pure and synchronous
 * (node:crypto on the calling thread, never WebCrypto's thread pool); no I/O, no key lookup.
 */

export type Role = 'user' | 'admin';

/** The claims of a verified Gatehouse access token (API.md "Tokens"), plus the signing key id. */
export interface GatehouseClaims {
  readonly iss: string;
  readonly aud: string;
  /** User id. */
  readonly sub: string;
  /** Session id. */
  readonly sid: string;
  readonly role: Role;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  /** When the session was authenticated: NumericDate with a millisecond fraction. */
  readonly auth_time: number;
  /** RFC 9068 2.2. Absent only on tokens issued before Gatehouse added it. */
  readonly client_id?: string;
  readonly kid: string;
}

export interface ClaimRules {
  issuer: string;
  audience: string;
  leewaySeconds: number;
  /**
   * The longest lifetime (`exp - iat`) a token may claim: the configured access-token TTL. A
   * token claiming more (plus leeway) is refused, so a signing slip or a stolen key cannot mint
   * tokens that outlive every revocation list (which remembers entries for TTL + leeway only).
   */
  maxLifetimeSeconds: number;
}

/** A compact JWS split into its parts; nothing is trusted yet. */
export interface ParsedToken {
  kid: string;
  signingInput: string;
  signature: Buffer;
  payloadSegment: string;
}

/** Nothing Gatehouse issues comes close; a bigger "token" is junk, refused before any work. */
export const MAX_TOKEN_LENGTH = 4096;
/** A raw ES256 signature is 64 bytes: exactly 86 base64url characters. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/;
const TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);
/** RFC 6750 2.1 b64token; the scheme is case-insensitive (RFC 7235 2.1). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

function invalid(message?: string): VerifierError {
  return new VerifierError('invalid_token', message);
}

function decodeJsonObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid();
  return value as Record<string, unknown>;
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 2.1), or undefined. */
export function extractBearerToken(header: string | readonly string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header.trim())?.[1];
}

/**
 * Header rules: ES256 only, typ at+jwt, no `crit`, a kid we look up ourselves. No `none`, no
 * HS*, no key taken from the token.
 */
export function parseToken(token: unknown): ParsedToken {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw invalid();
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  const header = decodeJsonObject(token.slice(0, firstDot));
  const { alg, typ, kid, crit } = header;
  if (alg !== 'ES256' || typeof typ !== 'string' || !TOKEN_TYPES.has(typ.toLowerCase())) throw invalid();
  // RFC 7515 4.1.11: an extension we do not understand must not be ignored.
  if (crit !== undefined) throw invalid();
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) throw invalid();
  return {
    kid,
    signingInput: token.slice(0, lastDot),
    signature: Buffer.from(token.slice(lastDot + 1), 'base64url'),
    payloadSegment: token.slice(firstDot + 1, lastDot),
  };
}

/** ES256 (raw r||s signature) over the signing input, with the key the caller looked up by kid. */
export function hasValidSignature(parsed: ParsedToken, key: KeyObject): boolean {
  return verifySignature('sha256', Buffer.from(parsed.signingInput, 'latin1'), { key, dsaEncoding: 'ieee-p1363' }, parsed.signature);
}

/**
 * The one expiry comparison (RFC 7519 4.1.4: valid only *before* exp), used on fresh tokens and
 * on cached ones alike: expired once `now >= exp + leeway`.
 */
export function isExpired(exp: number, nowSeconds: number, leewaySeconds: number): boolean {
  return nowSeconds >= exp + leewaySeconds;
}

/** Claim rules on a decoded payload: for callers (passport-jwt) whose library already decoded it. */
export function checkClaims(payload: Record<string, unknown>, kid: string, rules: ClaimRules, nowSeconds: number): GatehouseClaims {
  const { iss, aud, sub, sid, role, jti, iat, exp, nbf, auth_time, client_id } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) throw invalid();
  if (isExpired(exp, nowSeconds, rules.leewaySeconds)) throw new VerifierError('token_expired');
  if (iat > nowSeconds + rules.leewaySeconds) throw invalid();
  if (exp - iat > rules.maxLifetimeSeconds + rules.leewaySeconds) {
    throw invalid('The access token claims a longer lifetime than this server accepts.');
  }
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + rules.leewaySeconds)) throw invalid();
  if (iss !== rules.issuer || aud !== rules.audience) throw invalid();
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    (role !== 'user' && role !== 'admin') ||
    typeof jti !== 'string' ||
    // User-wide revocations compare against it, so a token without it cannot be checked.
    typeof auth_time !== 'number' ||
    (client_id !== undefined && typeof client_id !== 'string')
  ) {
    throw invalid();
  }
  const claims: GatehouseClaims = { iss, aud, sub, sid, role, jti, iat, exp, auth_time, kid };
  return Object.freeze(client_id === undefined ? claims : { ...claims, client_id });
}

/** Claim rules on a parsed token whose signature the caller has checked. */
export function readClaims(parsed: ParsedToken, rules: ClaimRules, nowSeconds: number): GatehouseClaims {
  return checkClaims(decodeJsonObject(parsed.payloadSegment), parsed.kid, rules, nowSeconds);
}

/**
 * The one spelling of an issuer identifier (RFC 8414 2: an http(s) URL without query or
 * fragment). Trailing slashes go, so `https://auth.example.com/` and `https://auth.example.com`
 * name the same issuer, and `iss` matches the metadata `issuer` byte for byte.
 */
export function normalizeIssuer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError('must be an http(s) URL, e.g. https://auth.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('must be an http(s) URL');
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) throw new TypeError('must not have a query or fragment');
  if (url.username || url.password) throw new TypeError('must not carry credentials');
  // URL lower-cases scheme and host and drops a default port; the path stays as written.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
