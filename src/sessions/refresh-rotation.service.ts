import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { Transactions } from '../database/transactions.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/request-context.js';
import { AccessTokenService } from '../tokens/access-token.service.js';
import { KeyMaterial } from '../tokens/key-material.js';
import { deriveSuccessor, hashRefreshToken, secondsUntil } from './refresh-token.js';
import { SessionsRepository, type TokenWithSession } from './sessions.repository.js';
import { SessionsService, type IssuedTokens } from './sessions.service.js';

/**
 * Refresh rotation and theft detection (DESIGN.md "Refresh rotation and theft detection"):
 * every use rotates the token; a repeat within the grace window is a benign race and gets the
 * same successor; a later repeat is theft and ends the session.
 */
@Injectable()
export class RefreshRotation {
  constructor(
    private readonly config: AppConfig,
    private readonly repository: SessionsRepository,
    private readonly transactions: Transactions,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
    private readonly keyMaterial: KeyMaterial,
    private readonly sessions: SessionsService,
  ) {}

  /** Rotates a refresh token. One conditional update decides the winner among concurrent calls. */
  async refresh(presented: string, context: RequestContext): Promise<IssuedTokens> {
    const found = await this.repository.findTokenByHash(hashRefreshToken(presented));
    this.assertRefreshable(found);
    if (found.usedAt === null) {
      const rotated = await this.tryRotate(found, presented, context);
      if (rotated) return rotated;
    }
    // Someone rotated this token already (maybe a concurrent request a moment ago).
    const current = await this.repository.findTokenById(found.id);
    this.assertRefreshable(current);
    const graceMs = this.config.get('REFRESH_REUSE_GRACE_SECONDS') * 1000;
    if (current.usedAt && current.successorId && Date.now() - current.usedAt.getTime() <= graceMs) {
      return await this.issueFor(current, deriveSuccessor(this.keyMaterial.successorKey, presented, current.successorId));
    }
    await this.revokeForReuse(current, context);
    throw new DomainError('refresh_token_reused');
  }

  private assertRefreshable(found: TokenWithSession | null): asserts found is TokenWithSession {
    if (!found) throw new DomainError('invalid_refresh_token');
    if (found.session.user.status === 'suspended') throw new DomainError('account_suspended');
    if (found.session.revokedAt) throw new DomainError('session_revoked');
    if (found.session.expiresAt.getTime() <= Date.now()) throw new DomainError('invalid_refresh_token');
  }

  private async tryRotate(found: TokenWithSession, presented: string, context: RequestContext): Promise<IssuedTokens | undefined> {
    const now = new Date();
    const successorId = randomUUID();
    const successor = deriveSuccessor(this.keyMaterial.successorKey, presented, successorId);
    const { session } = found;
    const access = this.issueAccess(found);
    const won = await this.transactions.run(async (tx) => {
      if (!(await this.repository.markUsed(tx, { id: found.id, successorId, now }))) return false;
      if (!(await this.repository.touchLive(tx, { id: session.id, now, ...context }))) {
        throw new DomainError('session_revoked');
      }
      await this.repository.insertToken(tx, { id: successorId, sessionId: session.id, tokenHash: hashRefreshToken(successor) });
      await this.repository.linkSigningKey(session.id, access.kid, tx);
      await this.audit.record({ type: 'token_refreshed', userId: session.userId, sessionId: session.id, ...context }, tx);
      return true;
    });
    if (!won) return undefined;
    return this.tokens(found, access, successor);
  }

  /** A benign repeat within the grace window: same successor, fresh access token. */
  private async issueFor(found: TokenWithSession, successor: string): Promise<IssuedTokens> {
    const access = this.issueAccess(found);
    // Still a token from this key for this session: key revocation with revokeSessions must see it.
    await this.repository.linkSigningKey(found.session.id, access.kid);
    return this.tokens(found, access, successor);
  }

  /** A fresh access token for the token's session, with the user's current role. */
  private issueAccess({ session }: TokenWithSession) {
    return this.accessTokens.issue({
      userId: session.userId,
      sessionId: session.id,
      role: session.user.role,
      sessionCreatedAt: session.createdAt,
    });
  }

  private tokens(found: TokenWithSession, access: { token: string; expiresIn: number }, refreshToken: string): IssuedTokens {
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: secondsUntil(found.session.expiresAt, new Date()),
      sessionId: found.session.id,
      user: found.session.user,
    };
  }

  private async revokeForReuse(found: TokenWithSession, context: RequestContext): Promise<void> {
    const { session } = found;
    await this.sessions.revokeSession({
      sessionId: session.id,
      userId: session.userId,
      reason: 'refresh_reuse',
      audit: { type: 'refresh_token_reused', ...context, details: { tokenId: found.id } },
    });
  }
}
