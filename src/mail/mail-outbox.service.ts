import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { uuidv7 } from '../common/uuid.js';
import type { Tx } from '../database/prisma.service.js';
import type { MailStatus } from '../generated/prisma/client.js';
import { MailOutboxRepository, type MailRow } from './mail-outbox.repository.js';
import type { RenderedMail } from './mail-templates.js';
import { MailWorker } from './mail-worker.service.js';

export type MailKind = 'password_reset' | 'email_verification' | 'email_change_verification' | 'email_changed_notice';

/** What admins see of a mail: never its bodies (they carry single-use links). */
export interface MailResponse {
  id: string;
  kind: string;
  to: string;
  subject: string;
  userId: string | null;
  status: MailStatus;
  attempts: number;
  lastError: string | null;
  transport: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  sentAt: string | null;
  failedAt: string | null;
}

/**
 * The outbox's front door. Mails are queued inside the caller's transaction, so a mail exists
 * exactly when the token it carries does; after commit the caller nudges the worker.
 */
@Injectable()
export class MailOutbox {
  constructor(
    private readonly repository: MailOutboxRepository,
    private readonly worker: MailWorker,
  ) {}

  async enqueueIn(tx: Tx, mail: { kind: MailKind; to: string; userId?: string; content: RenderedMail }): Promise<void> {
    await this.repository.insert(tx, {
      id: uuidv7(),
      kind: mail.kind,
      recipient: mail.to,
      subject: mail.content.subject,
      bodyText: mail.content.text,
      bodyHtml: mail.content.html,
      userId: mail.userId ?? null,
    });
  }

  /** After the enqueueing transaction committed. */
  nudge(): void {
    this.worker.nudge();
  }

  async list(query: { status?: MailStatus; limit: number; cursor?: string }): Promise<{ mails: MailResponse[]; nextCursor: string | null }> {
    const rows = await this.repository.findPage({ status: query.status, limit: query.limit + 1, before: query.cursor });
    const page = rows.slice(0, query.limit);
    return { mails: page.map(toMailResponse), nextCursor: rows.length > query.limit ? page[page.length - 1].id : null };
  }

  async retry(id: string): Promise<MailResponse> {
    const row = await this.repository.requeueFailed(id);
    if (!row) throw new DomainError('not_found', 'No failed mail with this id.');
    this.worker.nudge();
    return toMailResponse(row);
  }

  queueStats(): ReturnType<MailOutboxRepository['queueStats']> {
    return this.repository.queueStats();
  }
}

function toMailResponse(row: MailRow): MailResponse {
  return {
    id: row.id,
    kind: row.kind,
    to: row.recipient,
    subject: row.subject,
    userId: row.userId,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    transport: row.transport,
    createdAt: row.createdAt.toISOString(),
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    sentAt: row.sentAt?.toISOString() ?? null,
    failedAt: row.failedAt?.toISOString() ?? null,
  };
}
