import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import {
  hasValidSignature,
  isExpired,
  parseToken,
  readClaims,
  VerifiedTokenCache,
  VerifierError,
  type ClaimRules,
  type GatehouseClaims,
  type Role,
} from '@gatehouse/verifier/core';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { RevocationService } from './revocation/revocation.service.js';
import { SigningKeysService, type LoadedKey } from './signing-keys.service.js';

export type { Role };

/** The verified, revocation-checked claims of an access token (RFC 9068 + sid, role, auth_time, kid). */
export type VerifiedToken = GatehouseClaims;

export interface IssuedAccessToken {
  token: string;
  kid: string;
  expiresIn: number;
}

const VERIFIED_CACHE_CAPACITY = 100_000;

/**
 * Issues and verifies access tokens. Verification applies the one set of token rules that
 * resource servers apply too (@gatehouse/verifier/core): synchronous node:crypto on the main
 * thread, so it never queues behind bcrypt on libuv's thread pool (DESIGN.md "The hot path").
 */
@Injectable()
export class AccessTokenService implements OnModuleDestroy {
  private readonly verified = new VerifiedTokenCache<VerifiedToken>(VERIFIED_CACHE_CAPACITY);
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly rules: Readonly<ClaimRules>;
  private readonly clientId: string;

  constructor(
    config: AppConfig,
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    private readonly revocations: RevocationService,
  ) {
    this.rules = Object.freeze({
      issuer: config.get('JWT_ISSUER'),
      audience: config.get('JWT_AUDIENCE'),
      leewaySeconds: config.get('CLOCK_SKEW_SECONDS'),
      // What this server issues is also the most it accepts (issue 8 #6).
      maxLifetimeSeconds: config.get('ACCESS_TOKEN_TTL_SECONDS'),
    });
    this.clientId = config.get('ACCESS_TOKEN_CLIENT_ID');
    this.pruneTimer = setInterval(() => this.verified.prune(Date.now() / 1000, this.rules.leewaySeconds), 60_000).unref();
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
        issuer: this.rules.issuer,
        audience: this.rules.audience,
        expiresIn: this.rules.maxLifetimeSeconds,
        jwtid: randomUUID(),
      },
    );
    return { token, kid: key.kid, expiresIn: this.rules.maxLifetimeSeconds };
  }

  /**
   * Verifies a bearer token: header rules, signature, claims, then the revocation cache.
   * A repeat token skips the signature (verified cache) but never the revocation check.
   */
  async verify(token: string): Promise<VerifiedToken> {
    const cached = this.verifyCached(token);
    if (cached) return cached;
    const claims = await this.verifyUncached(token);
    this.verified.set(token, claims);
    this.assertNotRevoked(claims);
    return claims;
  }

  /**
   * `verify` for a token already in the verified cache, synchronously: its claims (expiry and
   * revocation checked now, as `verify` checks them), or undefined when the token was never
   * verified here (then call `verify`). Throws as `verify` does.
   */
  verifyCached(token: string): VerifiedToken | undefined {
    const claims = this.verified.get(token);
    if (!claims) return undefined;
    if (this.expired(claims)) {
      this.verified.delete(token);
      throw new DomainError('token_expired');
    }
    this.assertNotRevoked(claims);
    return claims;
  }

  /**
   * What may change about claims this service verified: expiry, and revocation of the
   * session, user or key. Throws as `verify` does.
   */
  recheck(claims: VerifiedToken): void {
    if (this.expired(claims)) throw new DomainError('token_expired');
    this.assertNotRevoked(claims);
  }

  private expired(claims: VerifiedToken): boolean {
    return isExpired(claims.exp, Date.now() / 1000, this.rules.leewaySeconds);
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
    const parsed = applyRules(() => parseToken(token));
    let key = this.keys.get(parsed.kid);
    // A kid this instance knows only as `next` signs nothing yet, unless another instance just
    // rotated: look again, as for an unknown kid.
    if ((!key || key.status === 'next') && (await this.keys.reloadForUnknownKid(parsed.kid))) key = this.keys.get(parsed.kid);
    if (!key || key.status === 'next') throw new DomainError('invalid_token', 'The access token was signed by an unknown key.');
    // A revoked key's signatures prove nothing: reject before looking at them.
    if (key.status === 'revoked') throw new DomainError('token_revoked');
    if (!hasValidSignature(parsed, key.publicKey)) throw new DomainError('invalid_token');
    return applyRules(() => readClaims(parsed, this.rules, Date.now() / 1000));
  }
}

/** The shared rules throw VerifierError; the server speaks DomainError (same codes, same catalog). */
function applyRules<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof VerifierError) throw new DomainError(error.code, error.message, { cause: error });
    throw error;
  }
}
