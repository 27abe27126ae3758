import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import { Sql } from '../database/sql.service.js';
import type { AuditEvent, Prisma } from '../generated/prisma/client.js';
import type { AuditEventType } from './audit-event-types.js';

export interface NewAuditEvent {
  type: AuditEventType;
  userId?: string | null;
  actorId?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  userId?: string;
  type?: string;
  limit: number;
  /** Return events with an id below this (newest first). */
  before?: bigint;
}

@Injectable()
export class AuditRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
  ) {}

  async insert(event: NewAuditEvent, tx: Tx = this.prisma): Promise<void> {
    await tx.auditEvent.create({
      data: { ...event, details: event.details as Prisma.InputJsonValue | undefined },
    });
  }

  /** Many events in one statement (one round trip, one commit), in the order given. */
  async insertMany(events: NewAuditEvent[]): Promise<void> {
    const column = <K extends keyof NewAuditEvent>(key: K) => events.map((event) => event[key] ?? null);
    await this.sql.rows`
      INSERT INTO audit_events (type, user_id, actor_id, session_id, ip, user_agent, details)
      SELECT type, user_id, actor_id, session_id, ip, user_agent, details
      FROM unnest(${column('type')}::text[], ${column('userId')}::uuid[], ${column('actorId')}::uuid[], ${column('sessionId')}::uuid[],
                  ${column('ip')}::text[], ${column('userAgent')}::text[], ${column('details')}::jsonb[])
        WITH ORDINALITY AS e(type, user_id, actor_id, session_id, ip, user_agent, details, position)
      ORDER BY position`;
  }

  find(query: AuditQuery): Promise<AuditEvent[]> {
    return this.prisma.auditEvent.findMany({
      where: {
        userId: query.userId,
        type: query.type,
        id: query.before !== undefined ? { lt: query.before } : undefined,
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
  }
}
