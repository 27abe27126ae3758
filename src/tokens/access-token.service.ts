import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { RevocationService } from './revocation/revocation.service.js';
import { SigningKeysService, type LoadedKey } from './signing-keys.service.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export type Role = 'user' | 'admin';

/** RFC 9068 access-token claims, plus auth_time: when the session was authenticated. */
export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  role: Role;
  jti: string;
  iat: number;
  exp: number;
  /** NumericDate with millisecond fraction; user-wide revocations compare against it. */
  auth_time: number;
  /** RFC 9068 2.2; absent only on tokens issued before it was added. */
  client_id?: string;
}

export interface VerifiedToken extends AccessClaims {
  kid: string;
}

export interface IssuedAccessToken {
  token: string;
  kid: string;
  expiresIn: number;
}

const VERIFIED_CACHE_CAPACITY = 100_000;
const TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/**
 * Issues and verifies access tokens. Verification is synchronous node:crypto on the main thread
 * (jsonwebtoken via @nestjs/jwt), so it never queues behind bcrypt on libuv's thread pool
 * (DESIGN.md "The hot path").
 */
@Injectable()
export class AccessTokenService implements OnModuleDestroy {
  private readonly verified = new VerifiedTokenCache<VerifiedToken>(VERIFIED_CACHE_CAPACITY);
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly ttl: number;
  private readonly leeway: number;
  private readonly clientId: string;

  constructor(
    config: AppConfig,
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    private readonly revocations: RevocationService,
  ) {
    this.issuer = config.get('JWT_ISSUER');
    this.audience = config.get('JWT_AUDIENCE');
    this.ttl = config.get('ACCESS_TOKEN_TTL_SECONDS');
    this.leeway = config.get('CLOCK_SKEW_SECONDS');
    this.clientId = config.get('ACCESS_TOKEN_CLIENT_ID');
    this.pruneTimer = setInterval(() => this.verified.prune(Date.now() / 1000, this.leeway), 60_000).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  get verifiedCacheSize(): number {
    return this.verified.size;
  }

  /**
   * The key new tokens are signed with. Callers that record which key signed a session's token
   * (issue 8 #5) take it first, check it is not revoked in their database write, then sign with it.
   */
  signingKey(): LoadedKey {
    return this.keys.active;
  }

  /** The database said our signing key is revoked: re-read the keys before signing again. */
  async reloadSigningKeys(): Promise<void> {
    await this.keys.reload();
  }

  issue(subject: { userId: string; sessionId: string; role: Role; sessionCreatedAt: Date }, key: LoadedKey = this.keys.active): IssuedAccessToken {
    const token = this.jwt.sign(
      {
        sub: subject.userId,
        sid: subject.sessionId,
        role: subject.role,
        auth_time: subject.sessionCreatedAt.getTime() / 1000,
        client_id: this.clientId,
      },
      {
        algorithm: 'ES256',
        privateKey: key.privateKey!,
        keyid: key.kid,
        header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid },
        issuer: this.issuer,
        audience: this.audience,
        expiresIn: this.ttl,
        jwtid: randomUUID(),
      },
    );
    return { token, kid: key.kid, expiresIn: this.ttl };
  }

  /**
   * Verifies a bearer token: header rules, signature, claims, then the revocation cache.
   * A repeat token skips the signature (verified cache) but never the revocation check.
   */
  async verify(token: string): Promise<VerifiedToken> {
    let claims = this.verified.get(token);
    if (claims) {
      if (claims.exp + this.leeway < Date.now() / 1000) {
        this.verified.delete(token);
        throw new DomainError('token_expired');
      }
    } else {
      claims = await this.verifyUncached(token);
      this.verified.set(token, claims);
    }
    this.assertNotRevoked(claims);
    return claims;
  }

  private assertNotRevoked(claims: VerifiedToken): void {
    // A cached token skipped the key lookup, and the revocation list forgets a kid after TTL +
    // leeway; an instance that signed with the key before hearing of its revocation outlives that.
    if (this.keys.get(claims.kid)?.status === 'revoked') throw new DomainError('token_revoked');
    const revoked = this.revocations.check({
      sid: claims.sid,
      sub: claims.sub,
      kid: claims.kid,
      authTimeMs: Math.round(claims.auth_time * 1000),
    });
    if (revoked) throw new DomainError('token_revoked');
  }

  private async verifyUncached(token: string): Promise<VerifiedToken> {
    if (token.length > 4096) throw new DomainError('invalid_token');
    const header = decodeHeader(token);
    if (!header || header.alg !== 'ES256' || typeof header.typ !== 'string' || !TOKEN_TYPES.has(header.typ.toLowerCase())) {
      throw new DomainError('invalid_token');
    }
    // RFC 7515 4.1.11: a critical extension we do not understand must not be ignored.
    if (header.crit !== undefined) throw new DomainError('invalid_token');
    const kid = header.kid;
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) throw new DomainError('invalid_token');
    let key = this.keys.get(kid);
    if (!key && (await this.keys.reloadForUnknownKid(kid))) key = this.keys.get(kid);
    if (!key) throw new DomainError('invalid_token', 'The access token was signed by an unknown key.');
    // A revoked key's signatures prove nothing: reject before looking at them.
    if (key.status === 'revoked') throw new DomainError('token_revoked');

    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify(token, {
        // jsonwebtoken takes a KeyObject (parsed once at load); @nestjs/jwt's type says string.
        publicKey: key.publicKey as unknown as string,
        algorithms: ['ES256'],
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: this.leeway,
      });
    } catch (error) {
      if ((error as Error).name === 'TokenExpiredError') throw new DomainError('token_expired');
      throw new DomainError('invalid_token', undefined, { cause: error });
    }
    return { ...toClaims(payload, this.leeway), kid };
  }
}

function decodeHeader(token: string): Record<string, unknown> | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.split('.').length !== 3) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    return header && typeof header === 'object' && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toClaims(payload: Record<string, unknown>, leeway: number): AccessClaims {
  const { iss, aud, sub, sid, role, jti, iat, exp, auth_time, client_id } = payload;
  const valid =
    typeof iss === 'string' &&
    typeof aud === 'string' &&
    typeof sub === 'string' &&
    typeof sid === 'string' &&
    (role === 'user' || role === 'admin') &&
    typeof jti === 'string' &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    typeof auth_time === 'number' &&
    (client_id === undefined || typeof client_id === 'string') &&
    iat <= Date.now() / 1000 + leeway;
  if (!valid) throw new DomainError('invalid_token');
  return { iss, aud, sub, sid, role, jti, iat, exp, auth_time, ...(client_id === undefined ? {} : { client_id }) };
}
