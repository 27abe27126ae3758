import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
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
  constructor(private readonly prisma: PrismaService) {}

  async insert(event: NewAuditEvent, tx: Tx = this.prisma): Promise<void> {
    await tx.auditEvent.create({
      data: { ...event, details: event.details as Prisma.InputJsonValue | undefined },
    });
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
