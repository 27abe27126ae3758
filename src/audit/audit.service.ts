import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Tx } from '../database/prisma.service.js';
import type { AuditEventResponse, AuditPage } from './audit-event.response.js';
import type { AuditEventType } from './audit-event-types.js';
import { AuditBatch } from './audit-batch.js';
import { AuditRepository, type AuditQuery, type NewAuditEvent } from './audit.repository.js';

export type { NewAuditEvent } from './audit.repository.js';

/**
 * The audit trail. Events that belong to a state change are written in its transaction;
 * events about failures (a wrong password) are written on their own and never fail the request;
 * routine events of the hottest path (token_refreshed, token_refresh_repeated) are batched.
 * Never a password or token in an event.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly routine: AuditBatch;
  private lastLossWarnAt = 0;
  /** recordDetached inserts under way (shutdown waits for them). */
  private readonly detached = new Set<Promise<void>>();
  /** Routine events lost since boot (a batch the database refused, or too many waiting). */
  lostRoutineEvents = 0;

  constructor(private readonly repository: AuditRepository) {
    this.routine = new AuditBatch({
      delayMs: 50,
      maxBatch: 500,
      maxPending: 50_000,
      write: (events) => this.repository.insertMany(events),
      lost: (count, reason) => this.routineLost(count, reason),
    });
  }

  /**
   * Shutdown, after handlers and detections (onModuleDestroy) finished recording: what is
   * batched or detached is written before the pool closes (DatabaseModule, last).
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.routine.flush(), ...this.detached]);
  }

  record(event: NewAuditEvent, tx?: Tx): Promise<void> {
    return this.repository.insert(event, tx);
  }

  /** Best effort, outside any transaction (failed logins and the like). */
  recordDetached(event: NewAuditEvent): void {
    const writing: Promise<void> = this.repository
      .insert(event)
      .catch((error: unknown) => {
        this.logger.warn(`could not write audit event ${event.type}: ${(error as Error).message}`);
      })
      .finally(() => this.detached.delete(writing));
    this.detached.add(writing);
  }

  /**
   * A routine event, written within ~50 ms with others in one INSERT, not in the request's own
   * statement (issue 10: a refresh's rotation statement no longer carries an audit row). Lost if
   * the process dies first; security-relevant events use `record` in their transaction instead.
   */
  recordRoutine(event: NewAuditEvent): void {
    this.routine.add(event);
  }

  /** Resolves once every routine event recorded so far is written (tests, shutdown). */
  flushRoutine(): Promise<void> {
    return this.routine.flush();
  }

  private routineLost(count: number, reason: string): void {
    this.lostRoutineEvents += count;
    if (Date.now() - this.lastLossWarnAt < 10_000) return;
    this.lastLossWarnAt = Date.now();
    this.logger.warn(`routine audit events not written (${this.lostRoutineEvents} since boot): ${reason}`);
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    // What this instance has batched is part of the answer (other instances lag by ~50 ms).
    await this.routine.flush();
    const rows = await this.repository.find({ ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const events = page.map((row): AuditEventResponse => ({
      id: row.id.toString(),
      // Written only through NewAuditEvent, whose type is an AuditEventType.
      type: row.type as AuditEventType,
      userId: row.userId,
      actorId: row.actorId,
      sessionId: row.sessionId,
      ip: row.ip,
      userAgent: row.userAgent,
      details: row.details ?? null,
      createdAt: row.createdAt.toISOString(),
    }));
    const nextCursor = rows.length > query.limit ? page[page.length - 1].id.toString() : null;
    return { events, nextCursor };
  }
}
