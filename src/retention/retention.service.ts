import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { Tx } from '../database/prisma.service.js';
import { RetentionRepository } from './retention.repository.js';

const DAY_SECONDS = 86_400;
/** Batches per table per run: a run stays bounded even on a backlog; the next run goes on. */
const MAX_BATCHES_PER_TABLE = 100;

export type RetentionReport = Record<
  'refreshTokens' | 'sessions' | 'sessionKeyLinks' | 'auditEvents' | 'revocationEvents' | 'lockouts' | 'anomalyCounters' | 'userNetworks',
  number
>;

/**
 * Retention (issue 8 #14): rotated refresh tokens, ended sessions (with their key links),
 * audit events, revocation events, decayed lockout records, ended anomaly counters and networks
 * outside new_network's history are deleted once past their
 * retention, in bounded batches, every RETENTION_INTERVAL_SECONDS, by one instance at a time.
 */
@Injectable()
export class RetentionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionReport | undefined> | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: RetentionRepository,
  ) {}

  onModuleInit(): void {
    const intervalMs = this.config.get('RETENTION_INTERVAL_SECONDS') * 1000;
    if (intervalMs === 0) return;
    this.timer = setInterval(() => void this.runOnce().catch((error: unknown) => this.logger.warn(`retention run failed: ${(error as Error).message}`)), intervalMs).unref();
  }

  /** A prune under way finishes before the pool closes (DatabaseModule, last). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * One pass over every table. Undefined when another instance was pruning (its lock was
   * held): that instance carries on, this one waits for its next turn.
   */
  runOnce(): Promise<RetentionReport | undefined> {
    this.running ??= this.prune().finally(() => (this.running = undefined));
    return this.running;
  }

  private async prune(): Promise<RetentionReport | undefined> {
    const batch = this.config.get('RETENTION_BATCH_SIZE');
    const days = (name: 'AUDIT_RETENTION_DAYS' | 'SESSION_RETENTION_DAYS' | 'ROTATED_REFRESH_TOKEN_RETENTION_DAYS' | 'ANOMALY_HISTORY_DAYS') =>
      this.config.get(name) * DAY_SECONDS;
    // A revocation matters while a token it covers may live; a minute beyond that for slack.
    const revocationSeconds = Math.ceil(this.config.revocationMemoryMs / 1000) + 60;
    const steps: Array<[keyof RetentionReport, (tx: Tx) => Promise<number>]> = [
      // Rotated tokens first: an ended session then cascades over its one unused token only.
      ['refreshTokens', (tx) => this.repository.deleteRotatedTokens(tx, days('ROTATED_REFRESH_TOKEN_RETENTION_DAYS'), batch)],
      ['sessionKeyLinks', (tx) => this.repository.deleteEndedSessionKeyLinks(tx, batch)],
      ['sessions', (tx) => this.repository.deleteEndedSessions(tx, days('SESSION_RETENTION_DAYS'), batch)],
      ['auditEvents', (tx) => this.repository.deleteAuditEvents(tx, days('AUDIT_RETENTION_DAYS'), batch)],
      ['revocationEvents', (tx) => this.repository.deleteRevocationEvents(tx, revocationSeconds, batch)],
      ['lockouts', (tx) => this.repository.deleteDecayedLockouts(tx, batch)],
      ['anomalyCounters', (tx) => this.repository.deleteEndedAnomalyCounters(tx, batch)],
      ['userNetworks', (tx) => this.repository.deleteStaleUserNetworks(tx, days('ANOMALY_HISTORY_DAYS'), batch)],
    ];
    const report: RetentionReport = {
      refreshTokens: 0, sessions: 0, sessionKeyLinks: 0, auditEvents: 0, revocationEvents: 0, lockouts: 0, anomalyCounters: 0, userNetworks: 0,
    };
    for (const [table, deleteBatch] of steps) {
      for (let round = 0; round < MAX_BATCHES_PER_TABLE; round++) {
        const deleted = await this.repository.locked(deleteBatch);
        if (deleted === undefined) return undefined;
        report[table] += deleted;
        if (deleted < batch) break;
      }
    }
    const total = Object.values(report).reduce((sum, count) => sum + count, 0);
    if (total > 0) this.logger.log(`pruned ${JSON.stringify(report)}`);
    return report;
  }
}
