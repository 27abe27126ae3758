import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PollingLoop } from '../common/polling-loop.js';
import { AppConfig } from '../config/app-config.js';
import { describeFailure, isPermanentFailure, retryDelayMs } from './mail-backoff.js';
import { MailOutboxRepository, type ClaimedMail } from './mail-outbox.repository.js';
import { createMailTransport, type MailTransport } from './mail-transport.js';

const BATCH = 10;
const MARK_SENT_TRIES = 5;

/**
 * Delivers the outbox (DESIGN.md "Mail"). Every instance runs one; claims are leases taken with
 * FOR UPDATE SKIP LOCKED, so two instances never hold the same mail. A failed send is retried
 * with exponential backoff up to MAIL_MAX_ATTEMPTS, then marked failed with its error. An SMTP
 * outage or a restart only delays mail: unsent rows stay in the database, and a claim whose
 * instance died expires and is taken over.
 *
 * The one window for a duplicate is an instance dying (or losing the database for longer than
 * the retries below) after the SMTP server accepted a mail and before the row says so; the
 * lease then hands it to another instance. The Message-ID is the row id, so it is recognisable.
 */
@Injectable()
export class MailWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Mail');
  /** 'delivered' | 'retry' | 'failed' with the mail kind, for /metrics. */
  readonly events = new EventEmitter();
  readonly transport: MailTransport;
  private readonly loop: PollingLoop;
  private readonly leaseMs: number;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: MailOutboxRepository,
  ) {
    this.transport = createMailTransport(config);
    // Longer than any send can take: connect, greeting and each reply are bounded by the timeout.
    this.leaseMs = Math.max(60_000, config.get('MAIL_SEND_TIMEOUT_MS') * 10);
    this.loop = new PollingLoop(config.get('MAIL_POLL_INTERVAL_MS'), () => this.deliverDue(), (error) =>
      this.logger.warn(`mail delivery round failed: ${(error as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.isProduction && this.transport.name === 'log') {
      this.logger.warn('SMTP_URL is not set: no mail can be sent (password resets, email verification); set SMTP_URL and MAIL_FROM');
    }
    this.logger.log(`mail: ${this.transport.description}`);
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
    this.transport.close();
  }

  /** A mail was committed on this instance: deliver it now rather than at the next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      const leaseId = randomUUID();
      const batch = await this.repository.claim({ leaseId, leaseMs: this.leaseMs, limit: BATCH });
      for (const [index, mail] of batch.entries()) {
        if (this.loop.isStopping) {
          // Shutting down: hand the rest back at once rather than letting their lease run out.
          await this.repository.release(batch.slice(index).map((rest) => rest.id), leaseId);
          return;
        }
        await this.deliver(mail, leaseId);
      }
      if (batch.length < BATCH) return;
    }
  }

  private async deliver(mail: ClaimedMail, leaseId: string): Promise<void> {
    try {
      await this.transport.send({ id: mail.id, kind: mail.kind, to: mail.recipient, subject: mail.subject, text: mail.bodyText, html: mail.bodyHtml });
    } catch (error) {
      await this.recordFailure(mail, leaseId, error);
      return;
    }
    await this.recordSent(mail, leaseId);
  }

  private async recordFailure(mail: ClaimedMail, leaseId: string, error: unknown): Promise<void> {
    const reason = describeFailure(error);
    if (isPermanentFailure(error) || mail.attempts >= this.config.get('MAIL_MAX_ATTEMPTS')) {
      await this.repository.markFailed(mail.id, leaseId, reason);
      this.logger.error(`${mail.kind} mail ${mail.id} failed for good after ${mail.attempts} attempt(s): ${reason}`);
      this.events.emit('failed', mail.kind);
      return;
    }
    const delay = retryDelayMs(mail.attempts, this.config.get('MAIL_RETRY_BASE_MS'), this.config.get('MAIL_RETRY_MAX_MS'));
    await this.repository.markRetry(mail.id, leaseId, delay, reason);
    this.logger.warn(`${mail.kind} mail ${mail.id} attempt ${mail.attempts} failed (${reason}); retrying in ${Math.round(delay / 1000)} s`);
    this.events.emit('retry', mail.kind);
  }

  /** The server has the mail: recording that must not be lost to a brief database hiccup. */
  private async recordSent(mail: ClaimedMail, leaseId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await this.repository.markSent(mail.id, leaseId, this.transport.name))) {
          this.logger.warn(`${mail.kind} mail ${mail.id} was sent after its claim expired`);
        }
        this.events.emit('delivered', mail.kind);
        return;
      } catch (error) {
        if (attempt >= MARK_SENT_TRIES) {
          this.logger.error(`${mail.kind} mail ${mail.id} was sent but could not be marked so: ${(error as Error).message}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }
}
