import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import type { Tx } from '../database/prisma.service.js';
import type { User } from '../generated/prisma/client.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/request-context.js';
import { AccessTokenService } from '../tokens/access-token.service.js';
import type { AuditEventType } from '../audit/audit-event-types.js';
import { RevocationService, type Revoker } from '../tokens/revocation/revocation.service.js';
import type { RevocationReason } from '../tokens/revocation/revocation.types.js';
import { generateRefreshToken, hashRefreshToken, secondsUntil } from './refresh-token.js';
import type { SessionView } from './session.response.js';
import { SessionStartRepository } from './session-start.repository.js';
import { SessionsRepository } from './sessions.repository.js';

/** Attempts with a freshly loaded key after the database refused ours as revoked. */
const KEY_ATTEMPTS = 3;

export type SessionUser = User;

/** The user fields a token response is built from (a full row at login; what a refresh reads back). */
export type UserSummary = Pick<User, 'id' | 'email' | 'emailVerifiedAt' | 'name' | 'role' | 'status' | 'createdAt'>;

export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  sessionId: string;
  /** The user as of this login or refresh; callers map it for responses. */
  user: UserSummary;
}

export interface RefreshIntrospection {
  sub: string;
  sid: string;
  role: 'user' | 'admin';
  iat: number;
  exp: number;
  /** The refresh token's row id: stable for the token, and never the token itself. */
  jti: string;
}

/** The audit event a revocation writes in its transaction. */
export interface SessionAudit {
  type: AuditEventType;
  ip?: string;
  userAgent?: string;
  details?: Record<string, unknown>;
}


/**
 * Sessions: how one starts (login), every way one ends, and what a user may see of them.
 * Refresh rotation lives in RefreshRotation. Each revocation commits with its RevocationEvent
 * (RevocationService.transaction), which announces it after commit.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly config: AppConfig,
    private readonly repository: SessionsRepository,
    private readonly sessionStart: SessionStartRepository,
    private readonly accessTokens: AccessTokenService,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Opens a session for an authenticated user (login).
   *
   * Login versus a user-wide cut-off: ordered by the database clock under the user-row lock
   * (share here, update in revokeAllForUserIn). A per-user integer "session generation" carried
   * in the token was considered and not taken: it needs the very same lock (the generation must
   * be read under it, exactly as the clock is), so it would remove only clockPast()'s
   * millisecond wait; but the cut-off does not stay inside Gatehouse. It travels on the bus and
   * the SSE feed as `sub` + `notBefore` and resource servers' verifiers compare it with the
   * token's `auth_time`, so a generation would need a new claim, a new wire field and every
   * deployed verifier upgraded in lockstep, while `notBefore` had to stay for the old ones:
   * two mechanisms where there is one. `auth_time` is also a standard claim a verifier can
   * check without knowing Gatehouse; a generation is not. README "Revoking" says the same.
   */
  async start(user: SessionUser, context: RequestContext): Promise<IssuedTokens> {
    for (let attempt = 0; attempt < KEY_ATTEMPTS; attempt++) {
      const started = await this.tryStart(user, context);
      if (started) return started;
      // Our signing key was revoked since we loaded it: nothing was written; re-read the keys.
      await this.accessTokens.reloadSigningKeys();
    }
    throw new DomainError('service_unavailable', 'No usable signing key; retry later.');
  }

  private async tryStart(user: SessionUser, context: RequestContext): Promise<IssuedTokens | undefined> {
    const sessionId = randomUUID();
    const refreshToken = generateRefreshToken();
    const key = this.accessTokens.signingKey();
    // One statement (SessionStartRepository): the user row held FOR SHARE and re-checked, the
    // signing key held FOR SHARE, the database's clock read under both, the session written,
    // and the commit only once that clock has left auth_time's millisecond. A user-wide
    // revocation (logout-all, password or role change, suspension, deletion) cuts off tokens by
    // auth_time: this puts the session wholly before such a revocation (its UPDATE then revokes
    // it) or wholly after it (auth_time past the cut-off), never a live session whose every
    // token the cut-off rejects. The same for key revocation and the key link.
    const started = await this.sessionStart.start({
      userId: user.id,
      // The password was checked against this hash; if it changed since (a password change
      // committed meanwhile, revoking every session), that check no longer opens the account.
      passwordHash: user.passwordHash,
      sessionId,
      refreshTokenId: randomUUID(),
      refreshTokenHash: hashRefreshToken(refreshToken),
      kid: key.kid,
      refreshTtlSeconds: this.config.get('REFRESH_TOKEN_TTL_SECONDS'),
      ...context,
    });
    if (started.outcome === 'invalid_credentials' || started.outcome === 'account_suspended') throw new DomainError(started.outcome);
    // Our signing key was revoked since we loaded it: nothing was written.
    if (started.outcome === 'key_revoked') return undefined;
    // Signed after the commit, as a refresh does: the key was not revoked when the session was
    // linked to it, and a revocation since then ends the session (the sweep sees the link).
    const access = this.accessTokens.issue({ userId: user.id, sessionId, role: started.user.role, sessionCreatedAt: started.createdAt }, key);
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: secondsUntil(started.expiresAt, started.createdAt),
      sessionId,
      user: started.user,
    };
  }

  /** Revokes one session (idempotent). Returns false if it was unknown or already revoked. */
  revokeSession(params: {
    sessionId: string;
    userId: string;
    reason: RevocationReason;
    actorId?: string;
    audit: SessionAudit;
  }): Promise<boolean> {
    return this.revocations.transaction(async (tx, revoke) => {
      const now = await this.repository.clock(tx);
      const revoked = await this.repository.revoke(tx, { id: params.sessionId, userId: params.userId, reason: params.reason, now });
      if (!revoked) return false;
      await this.audit.record(
        {
          type: params.audit.type,
          userId: params.userId,
          actorId: params.actorId ?? params.userId,
          sessionId: params.sessionId,
          ip: params.audit.ip,
          userAgent: params.audit.userAgent,
          details: { reason: params.reason, ...params.audit.details },
        },
        tx,
      );
      await revoke.record({ sid: params.sessionId, userId: params.userId, reason: params.reason });
      return true;
    });
  }

  /**
   * Revokes every session of a user inside the caller's revoking transaction: one UPDATE and
   * one user-wide RevocationEvent (a single cache entry however many sessions there are).
   * Returns how many sessions it closed.
   */
  async revokeAllForUserIn(
    tx: Tx,
    revoke: Revoker,
    params: { userId: string; reason: RevocationReason; exceptSessionId?: string; spareOnlyIfLive?: boolean },
  ): Promise<number> {
    // Excludes logins of this user until commit (see start()): every session this UPDATE misses
    // is created after the cut-off, every session it revokes was created before it.
    await this.repository.lockUser(tx, params.userId, 'update');
    // The spared session must still be live: a later cut-off replaces earlier ones in every
    // cache, so sparing a session an earlier one revoked would bring its tokens back to life
    // (its bearer may have passed the guard on an instance that had not heard of it yet).
    if (params.exceptSessionId && !(await this.repository.isUnrevoked(tx, params.exceptSessionId, params.userId))) {
      // spareOnlyIfLive: the sparing is a courtesy (a verified email change spares the session
      // that asked for it); when that session has ended meanwhile, revoke them all.
      if (!params.spareOnlyIfLive) throw new DomainError('token_revoked');
      params = { ...params, exceptSessionId: undefined };
    }
    const now = await this.repository.clock(tx);
    const revoked = await this.repository.revokeAllForUser(tx, { ...params, now });
    await revoke.record({ sub: params.userId, notBefore: now, exceptSid: params.exceptSessionId, reason: params.reason });
    // Defence in depth: a session stamped at or after the cut-off (a row written with another
    // clock, e.g. by an older Gatehouse) would escape it; name such sessions one by one.
    for (const session of revoked.filter((row) => row.createdAt.getTime() >= now.getTime())) {
      await revoke.record({ sid: session.id, userId: params.userId, reason: params.reason });
    }
    // A login waiting for the lock must read a later millisecond than this cut-off.
    await this.repository.clockPast(tx, now);
    return revoked.length;
  }

  /**
   * Inside the caller's transaction, before revokeAllForUserIn: about to delete the user, whose
   * refresh tokens go with the sessions. A refresh holds its token row and then wants its session
   * row; the cascade takes them the other way round, so the tokens are locked first.
   */
  async lockForUserDeletionIn(tx: Tx, userId: string): Promise<void> {
    await this.repository.lockUnusedTokensOfUser(tx, userId);
  }

  /**
   * Inside the caller's revoking transaction: revokes every session that received a token
   * signed by `kid`. Only sessions used within the last access TTL can still hold a live token,
   * so only those need a cache entry; the rest are merely closed for refresh. A benign repeat
   * records its use too (lastUsedAt); the grace window is kept as a margin on top. Returns how
   * many sessions it closed.
   */
  async revokeAllForKeyIn(tx: Tx, revoke: Revoker, kid: string): Promise<number> {
    const now = await this.repository.clock(tx);
    const graceMs = this.config.get('REFRESH_REUSE_GRACE_SECONDS') * 1000;
    const activeSince = new Date(now.getTime() - this.config.revocationMemoryMs - graceMs);
    const { revokedIds, liveIds } = await this.repository.revokeAllForKey(tx, { kid, reason: 'key_revoked', now, activeSince });
    for (const session of liveIds) await revoke.record({ sid: session.id, userId: session.userId, reason: 'key_revoked' });
    return revokedIds.length;
  }

  revokeAllForUser(params: {
    userId: string;
    reason: RevocationReason;
    actorId?: string;
    exceptSessionId?: string;
    audit: SessionAudit;
  }): Promise<number> {
    return this.revocations.transaction(async (tx, revoke) => {
      const count = await this.revokeAllForUserIn(tx, revoke, params);
      await this.audit.record(
        {
          type: params.audit.type,
          userId: params.userId,
          actorId: params.actorId ?? params.userId,
          ip: params.audit.ip,
          userAgent: params.audit.userAgent,
          details: { reason: params.reason, sessionsRevoked: count, ...params.audit.details },
        },
        tx,
      );
      return count;
    });
  }

  /**
   * RFC 7662 for a refresh token: live only if it is the current (unused) token of a live,
   * unexpired session of an active user.
   */
  async introspectRefreshToken(presented: string): Promise<RefreshIntrospection | undefined> {
    const found = await this.repository.findTokenByHash(hashRefreshToken(presented));
    if (!found || found.usedAt) return undefined;
    const { session } = found;
    if (session.revokedAt || session.expiresAt.getTime() <= Date.now() || session.user.status !== 'active') return undefined;
    return {
      sub: session.userId,
      sid: session.id,
      role: session.user.role,
      iat: Math.floor(found.createdAt.getTime() / 1000),
      exp: Math.floor(session.expiresAt.getTime() / 1000),
      jti: found.id,
    };
  }

  /** The session a refresh token belongs to, for logout and RFC 7009 revocation. */
  async findSessionByRefreshToken(presented: string): Promise<{ sessionId: string; userId: string } | undefined> {
    const found = await this.repository.findTokenByHash(hashRefreshToken(presented));
    return found ? { sessionId: found.sessionId, userId: found.session.userId } : undefined;
  }

  async listLive(userId: string, currentSessionId?: string): Promise<SessionView[]> {
    const sessions = await this.repository.findLiveByUser(userId, new Date());
    return sessions.map((session) => ({
      id: session.id,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      userAgent: session.userAgent,
      ip: session.ip,
      current: session.id === currentSessionId,
    }));
  }

  /** DELETE /sessions/:id: only the caller's own sessions; anything else is not_found. */
  async revokeOwn(params: { userId: string; sessionId: string; context: RequestContext }): Promise<void> {
    const session = await this.repository.findById(params.sessionId);
    if (!session || session.userId !== params.userId) throw new DomainError('not_found', 'Session not found.');
    await this.revokeSession({
      sessionId: params.sessionId,
      userId: params.userId,
      reason: 'session_deleted',
      audit: { type: 'session_revoked', ...params.context },
    });
  }
}

