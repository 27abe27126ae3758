import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { AccountTokenKind } from '../generated/prisma/client.js';

export type { AccountTokenKind } from '../generated/prisma/client.js';

/** 256 random bits, URL-safe (it travels in a link). Only its SHA-256 is stored. */
export function generateAccountToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashAccountToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface LiveAccountToken {
  id: string;
  userId: string;
  kind: AccountTokenKind;
  email: string;
  sessionId: string | null;
}

/**
 * Tokens mailed as links. "Live" means unused, neither superseded nor invalidated, and not
 * expired by the database clock (the one clock every instance shares; tests backdate rows).
 */
@Injectable()
export class AccountTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Supersedes the user's live tokens of this kind and stores the new one. The caller holds the
   * user's row lock, so two requests cannot both leave a live token behind.
   */
  async issue(
    tx: Tx,
    token: { id: string; userId: string; kind: AccountTokenKind; tokenHash: string; email: string; sessionId?: string; ttlSeconds: number },
  ): Promise<void> {
    await this.invalidateForUser(tx, token.userId, [token.kind], 'superseded');
    await tx.$executeRaw`
      INSERT INTO account_tokens (id, user_id, kind, token_hash, email, session_id, created_at, expires_at)
      VALUES (${token.id}::uuid, ${token.userId}::uuid, ${token.kind}::"AccountTokenKind", ${token.tokenHash}, ${token.email},
        ${token.sessionId ?? null}::uuid, clock_timestamp(), clock_timestamp() + ${token.ttlSeconds} * interval '1 second')`;
  }

  /** The live token with this hash, if any; not consumed (see consume). */
  async findLive(tokenHash: string, kinds: AccountTokenKind[]): Promise<LiveAccountToken | undefined> {
    const rows = await this.prisma.$queryRaw<LiveAccountToken[]>`
      SELECT id, user_id AS "userId", kind::text AS kind, email, session_id AS "sessionId" FROM account_tokens
      WHERE token_hash = ${tokenHash} AND kind::text = ANY(${kinds}::text[])
        AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > clock_timestamp()`;
    return rows[0];
  }

  /** Uses the token up. One conditional UPDATE: of concurrent presenters exactly one gets true. */
  async consume(tx: Tx, id: string): Promise<boolean> {
    const count = await tx.$executeRaw`
      UPDATE account_tokens SET used_at = clock_timestamp()
      WHERE id = ${id}::uuid AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > clock_timestamp()`;
    return count === 1;
  }

  /** Ends every live token of these kinds (a newer one, a password or an email change). */
  async invalidateForUser(tx: Tx, userId: string, kinds: AccountTokenKind[], reason: string): Promise<number> {
    const { count } = await tx.accountToken.updateMany({
      where: { userId, kind: { in: kinds }, usedAt: null, invalidatedAt: null },
      data: { invalidatedAt: new Date(), invalidatedReason: reason },
    });
    return count;
  }

  /** How many tokens of this kind were issued to the user within the last `seconds`. */
  async countIssuedSince(tx: Tx, userId: string, kind: AccountTokenKind, seconds: number): Promise<number> {
    const [row] = await tx.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM account_tokens
      WHERE user_id = ${userId}::uuid AND kind = ${kind}::"AccountTokenKind" AND created_at > clock_timestamp() - ${seconds} * interval '1 second'`;
    return row?.n ?? 0;
  }
}
