import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';

// Advisory-lock namespace (two-key form) for "one address at a time" in POST /auth/password/forgot.
const ADDRESS_LOCK_NAMESPACE = 0x72737420; // "rst "

export interface PendingResetRequest {
  id: bigint;
  email: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * POST /auth/password/forgot's intake. The endpoint only counts and records requests per
 * address, so it does exactly the same database work whether or not an account uses the address;
 * PasswordReset's worker later looks the address up.
 */
@Injectable()
export class PasswordResetRequestsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Serialises requests for one address until commit (count, then insert, cannot interleave). */
  async lockAddress(tx: Tx, email: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADDRESS_LOCK_NAMESPACE}::int, hashtext(${email}))`;
  }

  /** The newest `limit` requests for the address within the window: how many, the oldest of them, and the database's now. */
  async recent(tx: Tx, email: string, windowSeconds: number, limit: number): Promise<{ count: number; oldest: Date | null; now: Date }> {
    const [row] = await tx.$queryRaw<Array<{ n: number; oldest: Date | null; now: Date }>>`
      SELECT count(*)::int AS n, min(created_at) AS oldest, clock_timestamp() AS now FROM (
        SELECT created_at FROM password_reset_requests
        WHERE email = ${email} AND created_at > clock_timestamp() - ${windowSeconds} * interval '1 second'
        ORDER BY created_at DESC LIMIT ${limit}) AS newest`;
    return { count: row.n, oldest: row.oldest, now: row.now };
  }

  async record(tx: Tx, request: { email: string; ip?: string; userAgent?: string }): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO password_reset_requests (email, ip, user_agent, created_at)
      VALUES (${request.email}, ${request.ip ?? null}, ${request.userAgent ?? null}, clock_timestamp())`;
  }

  /** The oldest unprocessed request, row-locked; other instances skip it (FOR UPDATE SKIP LOCKED). */
  async claimNext(tx: Tx): Promise<PendingResetRequest | undefined> {
    const rows = await tx.$queryRaw<PendingResetRequest[]>`
      SELECT id, email, ip, user_agent AS "userAgent" FROM password_reset_requests
      WHERE processed_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`;
    return rows[0];
  }

  async markProcessed(tx: Tx, id: bigint, outcome: string): Promise<void> {
    await tx.$executeRaw`UPDATE password_reset_requests SET processed_at = clock_timestamp(), outcome = ${outcome} WHERE id = ${id}`;
  }

  /** Requests only matter for the per-address window; processed ones older than a day go. */
  async pruneProcessed(): Promise<void> {
    await this.prisma.$executeRaw`
      DELETE FROM password_reset_requests WHERE processed_at IS NOT NULL AND created_at < clock_timestamp() - interval '1 day'`;
  }
}
