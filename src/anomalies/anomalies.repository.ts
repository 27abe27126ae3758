import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { Anomaly, AnomalyAction, AnomalyStatus, AnomalyType, Prisma } from '../generated/prisma/client.js';
import { ADMIN_CHANGES_LOCK } from '../users/users.repository.js';

export type { Anomaly } from '../generated/prisma/client.js';

/** What users.suspended_reason says when an anomaly, not an admin, suspended the account. */
export const ANOMALY_SUSPENSION = 'anomaly';

export interface AnomalyFilter {
  status?: AnomalyStatus;
  type?: AnomalyType;
  userId?: string;
  limit: number;
  /** The id of the last anomaly of the previous page (newest first). */
  after?: string;
}

@Injectable()
export class AnomaliesRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(
    tx: Tx,
    anomaly: { id: string; type: AnomalyType; userId: string; sessionId?: string; action: AnomalyAction; network?: string; details: Record<string, unknown> },
  ): Promise<Anomaly> {
    return tx.anomaly.create({ data: { ...anomaly, details: anomaly.details as Prisma.InputJsonValue } });
  }

  /**
   * An open anomaly of this type for this session (or, for session-less types, this user):
   * one burst raises one anomaly. Callers hold the user row, so two raises cannot both miss it.
   */
  async hasOpen(tx: Tx, params: { type: AnomalyType; userId: string; sessionId?: string }): Promise<boolean> {
    const found = await tx.anomaly.findFirst({
      where: { type: params.type, userId: params.userId, sessionId: params.sessionId ?? null, status: 'open' },
      select: { id: true },
    });
    return found !== null;
  }

  findById(id: string): Promise<Anomaly | null> {
    return this.prisma.anomaly.findUnique({ where: { id } });
  }

  /** The anomaly's newest version, row-locked until the caller's transaction ends. */
  async lockById(tx: Tx, id: string): Promise<Anomaly | null> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM anomalies WHERE id = ${id}::uuid FOR UPDATE`;
    return rows.length === 0 ? null : tx.anomaly.findUnique({ where: { id } });
  }

  resolve(tx: Tx, id: string, params: { status: 'dismissed' | 'confirmed'; actorId: string; note?: string; action?: AnomalyAction }): Promise<Anomaly> {
    return tx.anomaly.update({
      where: { id },
      data: { status: params.status, resolvedBy: params.actorId, resolvedAt: new Date(), note: params.note ?? null, action: params.action },
    });
  }

  /** Whether another open or confirmed suspend_user anomaly of the user keeps it suspended. */
  async anotherHoldsSuspension(tx: Tx, userId: string, exceptId: string): Promise<boolean> {
    const found = await tx.anomaly.findFirst({
      where: { userId, id: { not: exceptId }, action: 'suspend_user', status: { in: ['open', 'confirmed'] } },
      select: { id: true },
    });
    return found !== null;
  }

  /**
   * The lock every admin suspension, demotion and deletion takes before the user row (see
   * UsersRepository.lockAdminChanges): "is this the last active admin" holds until commit.
   */
  async lockAdminChanges(tx: Tx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_CHANGES_LOCK})`;
  }

  /** Whether suspending this user would leave no active admin (under lockAdminChanges). */
  async isLastActiveAdmin(tx: Tx, user: { role: string; status: string }): Promise<boolean> {
    if (user.role !== 'admin' || user.status !== 'active') return false;
    return (await tx.user.count({ where: { role: 'admin', status: 'active' } })) <= 1;
  }

  suspendUser(tx: Tx, userId: string): Promise<unknown> {
    return tx.user.update({ where: { id: userId }, data: { status: 'suspended', suspendedReason: ANOMALY_SUSPENSION } });
  }

  /** Lifts a suspension only if an anomaly caused it (an admin's own suspension stays). */
  async liftAnomalySuspension(tx: Tx, userId: string): Promise<boolean> {
    const { count } = await tx.user.updateMany({
      where: { id: userId, status: 'suspended', suspendedReason: ANOMALY_SUSPENSION },
      data: { status: 'active', suspendedReason: null },
    });
    return count === 1;
  }

  async findPage(filter: AnomalyFilter): Promise<Anomaly[]> {
    const where: Prisma.AnomalyWhereInput = { status: filter.status, type: filter.type, userId: filter.userId };
    if (filter.after) {
      const last = await this.prisma.anomaly.findUnique({ where: { id: filter.after }, select: { createdAt: true, id: true } });
      if (!last) return [];
      where.OR = [{ createdAt: { lt: last.createdAt } }, { createdAt: last.createdAt, id: { lt: last.id } }];
    }
    return this.prisma.anomaly.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: filter.limit });
  }

  findForUser(userId: string, limit: number): Promise<Array<Pick<Anomaly, 'type' | 'createdAt' | 'network'>>> {
    return this.prisma.anomaly.findMany({
      where: { userId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
      select: { type: true, createdAt: true, network: true },
    });
  }
}
