import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { AccessTokenService, type IssuedAccessToken } from '../tokens/access-token.service.js';
import { KeyMaterial } from '../tokens/key-material.js';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { AnomalyResponder } from '../anomalies/anomaly-responder.service.js';
import type { LoadedKey } from '../tokens/signing-keys.service.js';
import { deriveSuccessor, hashRefreshToken, secondsUntil } from './refresh-token.js';
import { RotationRepository, type RotatedSession } from './rotation.repository.js';
import { SessionsRepository, type TokenWithSession } from './sessions.repository.js';
import type { IssuedTokens } from './sessions.service.js';

/**
 * Tries with a freshly loaded key after the database refused ours as revoked. A key revocation
 * activates its replacement in the same transaction, so one reload normally settles it.
 */
const KEY_ATTEMPTS = 3;

/**
 * Refresh rotation and theft detection (DESIGN.md "Refresh rotation and theft detection"):
 * every use rotates the token; a repeat within the grace window is a benign race and gets the
 * same successor; a later repeat is theft and ends the session.
 *
 * The common case is one round trip: a single statement decides and does the rotation
 * (RotationRepository.rotate), and the access token is signed after it, with no transaction
 * open. Only when that statement rotates nothing is the token read to tell why.
 */
@Injectable()
export class RefreshRotation {
  constructor(
    private readonly config: AppConfig,
    private readonly repository: SessionsRepository,
    private readonly rotation: RotationRepository,
    private readonly accessTokens: AccessTokenService,
    private readonly keyMaterial: KeyMaterial,
    private readonly anomalies: AnomalyResponder,
    private readonly detector: AnomalyDetector,
    private readonly audit: AuditService,
  ) {}

  /** Rotates a refresh token. The database decides the winner among concurrent calls. */
  async refresh(presented: string, context: RequestContext): Promise<IssuedTokens> {
    const tokenHash = hashRefreshToken(presented);
    for (let attempt = 0; attempt < KEY_ATTEMPTS; attempt++) {
      const key = this.accessTokens.signingKey();
      const successorId = randomUUID();
      const successor = deriveSuccessor(this.keyMaterial.successorKey, presented, successorId);
      const now = new Date();
      const rotated = await this.rotation.rotate({
        tokenHash,
        successorId,
        successorHash: hashRefreshToken(successor),
        kid: key.kid,
        now,
        ...context,
      });
      if (rotated) {
        this.audit.recordRoutine({ type: 'token_refreshed', userId: rotated.user.id, sessionId: rotated.sessionId, ...context });
        return this.tokens(rotated, this.issueAccess(rotated, key), successor, now, context);
      }

      // Nothing rotated: unknown, refused, already used (a concurrent request a moment ago, a
      // repeat, or theft), or our signing key was revoked since we loaded it.
      const found = await this.repository.findTokenByHash(tokenHash);
      this.assertRefreshable(found);
      if (found.usedAt !== null) return await this.repeatOrReuse(found, presented, context);
      await this.accessTokens.reloadSigningKeys();
    }
    throw new DomainError('service_unavailable', 'No usable signing key; retry later.');
  }

  private assertRefreshable(found: TokenWithSession | null): asserts found is TokenWithSession {
    if (!found) throw new DomainError('invalid_refresh_token');
    if (found.session.user.status === 'suspended') throw new DomainError('account_suspended');
    if (found.session.revokedAt) throw new DomainError('session_revoked');
    if (found.session.expiresAt.getTime() <= Date.now()) throw new DomainError('invalid_refresh_token');
  }

  /**
   * The token was rotated before. Within the grace window that is a benign race (two tabs, a
   * retried request): the same successor again, and a fresh access token. After it, theft.
   */
  private async repeatOrReuse(found: TokenWithSession, presented: string, context: RequestContext): Promise<IssuedTokens> {
    const graceMs = this.config.get('REFRESH_REUSE_GRACE_SECONDS') * 1000;
    if (!found.successorId || !found.usedAt || Date.now() - found.usedAt.getTime() > graceMs) {
      await this.revokeForReuse(found, context);
      throw new DomainError('refresh_token_reused');
    }
    const successor = deriveSuccessor(this.keyMaterial.successorKey, presented, found.successorId);
    for (let attempt = 0; attempt < KEY_ATTEMPTS; attempt++) {
      const key = this.accessTokens.signingKey();
      const now = new Date();
      // Recorded like a rotation (issue 8 #13): lastUsedAt/IP updated, the key linked (so a key
      // revocation with revokeSessions sees this session), and audited.
      const repeated = await this.rotation.recordRepeat({ sessionId: found.sessionId, kid: key.kid, now, ...context });
      if (repeated) {
        this.audit.recordRoutine({
          type: 'token_refresh_repeated',
          userId: repeated.user.id,
          sessionId: repeated.sessionId,
          ...context,
          details: { tokenId: found.id },
        });
        return this.tokens(repeated, this.issueAccess(repeated, key), successor, now, context);
      }
      const current = await this.repository.findTokenById(found.id);
      this.assertRefreshable(current);
      await this.accessTokens.reloadSigningKeys();
    }
    throw new DomainError('service_unavailable', 'No usable signing key; retry later.');
  }

  /** A fresh access token for the session, with the user's role as the rotation read it. */
  private issueAccess(rotated: RotatedSession, key: LoadedKey): IssuedAccessToken {
    return this.accessTokens.issue(
      { userId: rotated.user.id, sessionId: rotated.sessionId, role: rotated.user.role, sessionCreatedAt: rotated.createdAt },
      key,
    );
  }

  private tokens(rotated: RotatedSession, access: IssuedAccessToken, refreshToken: string, now: Date, context: RequestContext): IssuedTokens {
    // The rotation statement returned the session's previous address: comparing costs no query.
    this.detector.sessionRefreshed({ userId: rotated.user.id, sessionId: rotated.sessionId, previousIp: rotated.previousIp, context });
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: secondsUntil(rotated.expiresAt, now),
      sessionId: rotated.sessionId,
      user: rotated.user,
    };
  }

  /** Theft: a refresh_token_reuse anomaly, whose policy revokes at least the session. */
  private async revokeForReuse(found: TokenWithSession, context: RequestContext): Promise<void> {
    await this.anomalies.raise({
      type: 'refresh_token_reuse',
      userId: found.session.userId,
      sessionId: found.session.id,
      context,
      details: { tokenId: found.id },
      audit: 'refresh_token_reused',
    });
  }
}
