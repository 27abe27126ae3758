import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import type { Tx } from '../database/prisma.service.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import { AnomaliesRepository, type Anomaly, type AnomalyFilter } from './anomalies.repository.js';
import { AnomalyResponder } from './anomaly-responder.service.js';
import { toAnomalyResponse, toSecurityEvent, type AnomalyResponse, type SecurityEvent } from './anomaly.response.js';

export interface Reviewer {
  actorId: string;
  context: RequestContext;
}

/**
 * Admin review of anomalies. Dismiss and confirm hold the user row, as every raise does, then
 * the anomaly row: whether a suspension is still held by another anomaly is decided against
 * every concurrent raise and review of that user.
 */
@Injectable()
export class AnomalyReview {
  constructor(
    private readonly repository: AnomaliesRepository,
    private readonly sessionsRepository: SessionsRepository,
    private readonly responder: AnomalyResponder,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
  ) {}

  async list(filter: AnomalyFilter): Promise<{ anomalies: AnomalyResponse[]; nextCursor: string | null }> {
    const rows = await this.repository.findPage({ ...filter, limit: filter.limit + 1 });
    const page = rows.slice(0, filter.limit);
    return { anomalies: page.map(toAnomalyResponse), nextCursor: rows.length > filter.limit ? page[page.length - 1].id : null };
  }

  /** Dismissed: a suspension this anomaly caused is lifted unless another open or confirmed anomaly holds it. */
  async dismiss(id: string, note: string | undefined, reviewer: Reviewer): Promise<AnomalyResponse> {
    const anomaly = await this.revocations.transaction(async (tx) => {
      const { anomaly: current } = await this.lock(tx, id);
      const resolved = await this.repository.resolve(tx, id, { status: 'dismissed', actorId: reviewer.actorId, note });
      const suspensionLifted =
        current.action === 'suspend_user' &&
        !(await this.repository.anotherHoldsSuspension(tx, current.userId, id)) &&
        (await this.repository.liftAnomalySuspension(tx, current.userId));
      await this.record(tx, 'anomaly_dismissed', resolved, reviewer, { suspensionLifted, ...(note ? { note } : {}) });
      return resolved;
    });
    return toAnomalyResponse(anomaly);
  }

  /** Confirmed: its action stands; `suspend` escalates to suspend_user (every session revoked). */
  async confirm(id: string, params: { note?: string; suspend?: boolean }, reviewer: Reviewer): Promise<AnomalyResponse> {
    const anomaly = await this.revocations.transaction(async (tx, revoke) => {
      // Escalating takes the admin-changes lock first, as every admin suspension does.
      if (params.suspend) await this.repository.lockAdminChanges(tx);
      const { anomaly: current, userStatus, user } = await this.lock(tx, id);
      let escalated = {};
      if (params.suspend) {
        if (user && (await this.repository.isLastActiveAdmin(tx, user))) throw new DomainError('last_admin');
        // Already suspended by this anomaly: nothing to add; otherwise suspend now (again, after a dismissal).
        if (userStatus !== 'suspended' || current.action !== 'suspend_user') {
          escalated = await this.responder.apply(tx, revoke, 'suspend_user', { userId: current.userId, sessionId: current.sessionId ?? undefined, reason: 'anomaly' });
        }
      }
      const resolved = await this.repository.resolve(tx, id, {
        status: 'confirmed',
        actorId: reviewer.actorId,
        note: params.note,
        action: params.suspend ? 'suspend_user' : undefined,
      });
      await this.record(tx, 'anomaly_confirmed', resolved, reviewer, { ...escalated, ...(params.note ? { note: params.note } : {}) });
      return resolved;
    });
    return toAnomalyResponse(anomaly);
  }

  async securityEvents(userId: string, limit: number): Promise<{ events: SecurityEvent[] }> {
    return { events: (await this.repository.findForUser(userId, limit)).map(toSecurityEvent) };
  }

  /** The user row, then the anomaly row (the order every raise takes them in). */
  private async lock(tx: Tx, id: string): Promise<{ anomaly: Anomaly; userStatus: string | undefined; user: { role: string; status: string } | null }> {
    const found = await this.repository.findById(id);
    if (!found) throw new DomainError('not_found', 'Anomaly not found.');
    const user = await this.sessionsRepository.lockUser(tx, found.userId, 'update');
    const anomaly = await this.repository.lockById(tx, id);
    if (!anomaly) throw new DomainError('not_found', 'Anomaly not found.');
    return { anomaly, userStatus: user?.status, user };
  }

  private record(tx: Tx, type: 'anomaly_dismissed' | 'anomaly_confirmed', anomaly: Anomaly, reviewer: Reviewer, details: Record<string, unknown>) {
    return this.audit.record(
      { type, userId: anomaly.userId, actorId: reviewer.actorId, sessionId: anomaly.sessionId, ...reviewer.context, details: { anomalyId: anomaly.id, anomalyType: anomaly.type, ...details } },
      tx,
    );
  }
}
