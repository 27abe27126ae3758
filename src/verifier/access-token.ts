import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { VerifierError } from './verifier-error.js';

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
  /** When the session was created: NumericDate with a millisecond fraction. */
  readonly auth_time: number;
  readonly kid: string;
}

export interface ClaimRules {
  issuer: string;
  audience: string;
  leewaySeconds: number;
}

/** A compact JWS split into its parts; nothing is trusted yet. */
export interface ParsedToken {
  kid: string;
  signingInput: string;
  signature: Buffer;
  payloadSegment: string;
}

/** Same ceiling as the server: nothing Gatehouse issues comes close. */
const MAX_TOKEN_LENGTH = 4096;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/;
const TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

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

/**
 * Header rules, identical to the server's (DESIGN.md "The hot path", step 1): ES256 only,
 * typ at+jwt, a kid we will look up ourselves. No `none`, no HS*, no key taken from the token.
 * A raw ES256 signature is 64 bytes, so the third segment is exactly 86 base64url characters.
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

/**
 * Synchronous node:crypto verification on the calling thread: it never queues behind other
 * work on libuv's thread pool as WebCrypto does (DESIGN.md "The hot path").
 */
export function hasValidSignature(parsed: ParsedToken, key: KeyObject): boolean {
  return verifySignature(
    'sha256',
    Buffer.from(parsed.signingInput, 'latin1'),
    { key, dsaEncoding: 'ieee-p1363' },
    parsed.signature,
  );
}

/** Claim rules, identical to the server's: iss, aud, exp with leeway, iat not in the future. */
export function readClaims(parsed: ParsedToken, rules: ClaimRules, nowSeconds: number): GatehouseClaims {
  const payload = decodeJsonObject(parsed.payloadSegment);
  const { iss, aud, sub, sid, role, jti, iat, exp, nbf, auth_time } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number') throw invalid();
  if (nowSeconds >= exp + rules.leewaySeconds) throw new VerifierError('token_expired');
  if (iat > nowSeconds + rules.leewaySeconds) throw invalid();
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + rules.leewaySeconds)) throw invalid();
  if (iss !== rules.issuer || aud !== rules.audience) throw invalid();
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    (role !== 'user' && role !== 'admin') ||
    typeof jti !== 'string' ||
    // User-wide revocations compare against it, so a token without it cannot be checked.
    typeof auth_time !== 'number'
  ) {
    throw invalid();
  }
  return Object.freeze({ iss, aud, sub, sid, role, jti, iat, exp, auth_time, kid: parsed.kid });
}
