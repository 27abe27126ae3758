import { Injectable, Logger } from '@nestjs/common';
import type { Tx } from '../database/prisma.service.js';
import type { AuditEventResponse, AuditPage } from './audit-event.response.js';
import type { AuditEventType } from './audit-event-types.js';
import { AuditRepository, type AuditQuery, type NewAuditEvent } from './audit.repository.js';

export type { NewAuditEvent } from './audit.repository.js';


/**
 * The audit trail. Events that belong to a state change are written in its transaction;
 * events about failures (a wrong password) are written on their own and never fail the request.
 * Never a password or token in an event.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repository: AuditRepository) {}

  record(event: NewAuditEvent, tx?: Tx): Promise<void> {
    return this.repository.insert(event, tx);
  }

  /** Best effort, outside any transaction (failed logins and the like). */
  recordDetached(event: NewAuditEvent): void {
    this.repository.insert(event).catch((error: unknown) => {
      this.logger.warn(`could not write audit event ${event.type}: ${(error as Error).message}`);
    });
  }

  async list(query: AuditQuery): Promise<AuditPage> {
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
