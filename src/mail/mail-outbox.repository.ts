import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { MailOutbox, MailStatus } from '../generated/prisma/client.js';

export interface NewMail {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  bodyText: string;
  bodyHtml: string;
  userId?: string | null;
}

/** A mail claimed for sending: what was queued, and how many sends were tried before. */
export interface ClaimedMail extends Omit<NewMail, 'userId'> {
  attempts: number;
}

export type MailRow = MailOutbox;

/**
 * The outbox. Claiming is one statement: rows due (or whose claim expired: an instance died
 * mid-send) are locked with FOR UPDATE SKIP LOCKED, so concurrent claimers on other instances
 * skip them instead of waiting, and stamped with this claim's lease. Every later transition
 * names the lease, so an instance whose lease was taken over can no longer touch the row.
 * Times come from the database clock, like every other cut-off in Gatehouse.
 */
@Injectable()
export class MailOutboxRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(tx: Tx, mail: NewMail): Promise<void> {
    await tx.mailOutbox.create({ data: mail });
  }

  claim(params: { leaseId: string; leaseMs: number; limit: number }): Promise<ClaimedMail[]> {
    return this.prisma.$queryRaw<ClaimedMail[]>`
      UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1, lease_id = ${params.leaseId}::uuid,
        lease_expires_at = clock_timestamp() + ${params.leaseMs} * interval '1 millisecond'
      WHERE id IN (
        SELECT id FROM mail_outbox
        WHERE (status = 'pending' AND next_attempt_at <= clock_timestamp())
           OR (status = 'sending' AND lease_expires_at <= clock_timestamp())
        ORDER BY next_attempt_at, id
        LIMIT ${params.limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, kind, recipient, subject, body_text AS "bodyText", body_html AS "bodyHtml", attempts`;
  }

  /** Delivered: the bodies (single-use links) are erased. False if the lease was lost. */
  async markSent(id: string, leaseId: string, transport: string): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE mail_outbox SET status = 'sent', sent_at = clock_timestamp(), transport = ${transport},
        body_text = NULL, body_html = NULL, lease_id = NULL, lease_expires_at = NULL
      WHERE id = ${id}::uuid AND lease_id = ${leaseId}::uuid`;
    return count === 1;
  }

  async markRetry(id: string, leaseId: string, delayMs: number, error: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE mail_outbox SET status = 'pending', last_error = ${error}, lease_id = NULL, lease_expires_at = NULL,
        next_attempt_at = clock_timestamp() + ${delayMs} * interval '1 millisecond'
      WHERE id = ${id}::uuid AND lease_id = ${leaseId}::uuid`;
  }

  async markFailed(id: string, leaseId: string, error: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE mail_outbox SET status = 'failed', failed_at = clock_timestamp(), last_error = ${error},
        lease_id = NULL, lease_expires_at = NULL
      WHERE id = ${id}::uuid AND lease_id = ${leaseId}::uuid`;
  }

  /** Gives claimed but unsent mails back (shutdown): due at once, the attempt not counted. */
  async release(ids: string[], leaseId: string): Promise<void> {
    if (ids.length === 0) return;
    await this.prisma.$executeRaw`
      UPDATE mail_outbox SET status = 'pending', attempts = greatest(attempts - 1, 0), lease_id = NULL, lease_expires_at = NULL,
        next_attempt_at = clock_timestamp()
      WHERE id = ANY(${ids}::uuid[]) AND lease_id = ${leaseId}::uuid`;
  }

  /** An admin asks for a failed mail to be tried again, from a fresh attempt count. */
  async requeueFailed(id: string): Promise<MailRow | undefined> {
    const rows = await this.prisma.mailOutbox.updateManyAndReturn({
      where: { id, status: 'failed' },
      data: { status: 'pending', attempts: 0, nextAttemptAt: new Date(), failedAt: null },
    });
    return rows[0];
  }

  findPage(query: { status?: MailStatus; limit: number; before?: string }): Promise<MailRow[]> {
    return this.prisma.mailOutbox.findMany({
      where: { status: query.status, id: query.before ? { lt: query.before } : undefined },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
  }

  /** Mails not yet delivered, by status, and the age of the oldest one due (for /metrics). */
  async queueStats(): Promise<{ counts: Partial<Record<MailStatus, number>>; oldestPendingSeconds: number }> {
    const rows = await this.prisma.$queryRaw<Array<{ status: MailStatus; n: number; oldest: number | null }>>`
      SELECT status, count(*)::int AS n,
        extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS oldest
      FROM mail_outbox WHERE status IN ('pending', 'sending', 'failed') GROUP BY status`;
    const counts: Partial<Record<MailStatus, number>> = {};
    let oldestPendingSeconds = 0;
    for (const row of rows) {
      counts[row.status] = row.n;
      if (row.status !== 'failed') oldestPendingSeconds = Math.max(oldestPendingSeconds, row.oldest ?? 0);
    }
    return { counts, oldestPendingSeconds };
  }
}
