import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { Session, User } from '../generated/prisma/client.js';

export interface TokenWithSession {
  id: string;
  createdAt: Date;
  sessionId: string;
  usedAt: Date | null;
  successorId: string | null;
  session: Session & { user: User };
}

const withSessionAndUser = { session: { include: { user: true } } } as const;

/** Sessions and their refresh-token chains (a session is one token family). */
@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findTokenByHash(tokenHash: string): Promise<TokenWithSession | null> {
    return this.prisma.refreshToken.findUnique({ where: { tokenHash }, include: withSessionAndUser });
  }

  findTokenById(id: string): Promise<TokenWithSession | null> {
    return this.prisma.refreshToken.findUnique({ where: { id }, include: withSessionAndUser });
  }

  /**
   * Locks the user row for the rest of the transaction and returns the row as it is now.
   * `update` (a user-wide revocation) excludes a login's FOR SHARE (SessionStartRepository), so a
   * new session is committed either wholly before or wholly after such a revocation.
   */
  async lockUser(tx: Tx, userId: string, mode: 'share' | 'update'): Promise<User | null> {
    const rows =
      mode === 'share'
        ? await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM users WHERE id = ${userId}::uuid FOR SHARE`
        : await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
    return rows.length === 0 ? null : tx.user.findUnique({ where: { id: userId } });
  }

  /**
   * The database's clock (ms precision): the one clock every instance shares, used for session
   * creation times (auth_time) and user-wide cut-offs so that instance clock skew cannot matter.
   */
  async clock(tx: Tx): Promise<Date> {
    const [row] = await tx.$queryRaw<Array<{ now: Date }>>`SELECT date_trunc('milliseconds', clock_timestamp()) AS now`;
    return row.now;
  }

  /**
   * Waits until the database clock has left `instant`'s millisecond. Cut-offs and auth_time are
   * whole milliseconds: two transactions serialised by the user lock must not read the same one.
   */
  async clockPast(tx: Tx, instant: Date): Promise<void> {
    while ((await this.clock(tx)).getTime() <= instant.getTime()) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** True while the session of `userId` is not revoked (read inside the caller's transaction). */
  async isUnrevoked(tx: Tx, id: string, userId: string): Promise<boolean> {
    return (await tx.session.count({ where: { id, userId, revokedAt: null } })) === 1;
  }

  findById(id: string): Promise<Session | null> {
    return this.prisma.session.findUnique({ where: { id } });
  }

  findLiveByUser(userId: string, now: Date): Promise<Session[]> {
    return this.prisma.session.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: now } },
      orderBy: { createdAt: 'desc' },
    });
  }

  /** True if this call revoked it (false: already revoked or unknown). */
  async revoke(tx: Tx, params: { id: string; reason: string; now: Date; userId?: string }): Promise<boolean> {
    const { count } = await tx.session.updateMany({
      where: { id: params.id, userId: params.userId, revokedAt: null },
      data: { revokedAt: params.now, revokedReason: params.reason },
    });
    return count === 1;
  }

  /**
   * Row-locks the user's unused refresh tokens, the rows a refresh locks first (then its session).
   * Taken before the session rows, it keeps a cascade delete from deadlocking with a refresh.
   */
  async lockUnusedTokensOfUser(tx: Tx, userId: string): Promise<void> {
    await tx.$queryRaw`
      SELECT rt.id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
      WHERE s.user_id = ${userId}::uuid AND rt.used_at IS NULL
      FOR UPDATE OF rt`;
  }

  /** One statement for "every session of the user" (optionally sparing one). Returns the revoked sessions. */
  revokeAllForUser(
    tx: Tx,
    params: { userId: string; reason: string; now: Date; exceptSessionId?: string },
  ): Promise<Array<{ id: string; createdAt: Date }>> {
    return tx.session.updateManyAndReturn({
      where: {
        userId: params.userId,
        revokedAt: null,
        id: params.exceptSessionId ? { not: params.exceptSessionId } : undefined,
      },
      data: { revokedAt: params.now, revokedReason: params.reason },
      select: { id: true, createdAt: true },
    });
  }

  /**
   * Revokes every live session that ever received a token signed by `kid`. Returns all revoked
   * ids, and those used within `activeSince` (they may still hold a live access token).
   */
  async revokeAllForKey(
    tx: Tx,
    params: { kid: string; reason: string; now: Date; activeSince: Date },
  ): Promise<{ revokedIds: string[]; liveIds: Array<{ id: string; userId: string }> }> {
    const rows = await tx.$queryRaw<Array<{ id: string; user_id: string; last_used_at: Date }>>`
      UPDATE sessions SET revoked_at = ${params.now}, revoked_reason = ${params.reason}
      WHERE revoked_at IS NULL AND id IN (SELECT session_id FROM session_signing_keys WHERE kid = ${params.kid})
      RETURNING id, user_id, last_used_at`;
    return {
      revokedIds: rows.map((row) => row.id),
      liveIds: rows.filter((row) => row.last_used_at > params.activeSince).map((row) => ({ id: row.id, userId: row.user_id })),
    };
  }
}
