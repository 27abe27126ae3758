import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import type { AnomalyAction, AnomalyType } from '../config/anomaly-policy.js';
import type { Tx } from '../database/prisma.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuditEventType } from '../audit/audit-event-types.js';
import type { RequestContext } from '../common/request-context.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RevocationService, type Revoker } from '../tokens/revocation/revocation.service.js';
import type { RevocationReason } from '../tokens/revocation/revocation.types.js';
import { AnomaliesRepository, type Anomaly } from './anomalies.repository.js';
import { networkOf } from './network.js';

export interface RaisedAnomaly {
  type: AnomalyType;
  userId: string;
  sessionId?: string;
  context: RequestContext;
  details?: Record<string, unknown>;
  /** A second audit event the detector has always written for this (e.g. refresh_token_reused). */
  audit?: AuditEventType;
}

/**
 * Raises anomalies and carries out what ANOMALY_POLICY says about them (API.md "Anomalies"):
 * the anomaly row, its revocation or suspension and its audit commit in one transaction
 * (RevocationService.transaction, which announces the revocation to every instance after commit).
 * Every raise and review of a user holds that user's row, so deduplication and the
 * "does another anomaly still hold the suspension" question are decided atomically.
 */
@Injectable()
export class AnomalyResponder {
  private readonly raised = new Subject<Anomaly>();
  /** Each anomaly once it has committed (metrics count them by type and action). */
  readonly raised$: Observable<Anomaly> = this.raised.asObservable();

  constructor(
    private readonly config: AppConfig,
    private readonly repository: AnomaliesRepository,
    private readonly sessionsRepository: SessionsRepository,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
  ) {}

  /** Undefined when the user is gone or an open anomaly of this type already covers it. */
  async raise(params: RaisedAnomaly): Promise<Anomaly | undefined> {
    const policyAction = this.config.get('ANOMALY_POLICY')[params.type];
    const anomaly = await this.revocations.transaction(async (tx, revoke) => {
      // Taken before the user row, in the order of every admin suspension (no deadlock with them).
      if (policyAction === 'suspend_user') await this.repository.lockAdminChanges(tx);
      const user = await this.sessionsRepository.lockUser(tx, params.userId, 'update');
      if (!user) return undefined;
      if (await this.repository.hasOpen(tx, params)) return undefined;
      const { action, downgraded } = await this.lastAdminSpared(tx, policyAction, user);
      const consequences = { ...(await this.apply(tx, revoke, action, { ...params, reason: reasonFor(params.type) })), ...downgraded };
      const created = await this.repository.create(tx, {
        id: randomUUID(),
        type: params.type,
        userId: params.userId,
        sessionId: params.sessionId,
        action,
        network: networkOf(params.context.ip),
        details: { ...params.details, ...consequences },
      });
      const audited = { userId: params.userId, sessionId: params.sessionId, ...params.context };
      await this.audit.record({ type: 'anomaly_raised', ...audited, details: { anomalyId: created.id, anomalyType: params.type, action, ...consequences } }, tx);
      if (params.audit) await this.audit.record({ type: params.audit, ...audited, details: { reason: reasonFor(params.type), ...params.details } }, tx);
      return created;
    });
    if (anomaly) this.raised.next(anomaly);
    return anomaly;
  }

  /**
   * An anomaly never suspends the last active admin (as an admin cannot, API.md 409 last_admin):
   * nobody would be left to review it. It is flagged instead, and the details say why.
   */
  private async lastAdminSpared(
    tx: Tx,
    action: AnomalyAction,
    user: { role: string; status: string },
  ): Promise<{ action: AnomalyAction; downgraded: Record<string, unknown> }> {
    if (action !== 'suspend_user' || !(await this.repository.isLastActiveAdmin(tx, user))) return { action, downgraded: {} };
    return { action: 'flag', downgraded: { policyAction: 'suspend_user', notSuspended: 'last_active_admin' } };
  }

  /**
   * Carries out `action` inside the caller's revoking transaction, which must hold the user row.
   * Returns what it did, for the anomaly's details and the audit trail.
   */
  async apply(
    tx: Tx,
    revoke: Revoker,
    action: AnomalyAction,
    target: { userId: string; sessionId?: string; reason: RevocationReason },
  ): Promise<Record<string, unknown>> {
    switch (action) {
      case 'flag':
        return {};
      case 'revoke_session': {
        if (!target.sessionId) return { sessionsRevoked: 0 };
        const revoked = await this.sessionsRepository.revoke(tx, { id: target.sessionId, userId: target.userId, reason: target.reason, now: new Date() });
        if (revoked) await revoke.record({ sid: target.sessionId, userId: target.userId, reason: target.reason });
        return { sessionsRevoked: revoked ? 1 : 0 };
      }
      case 'revoke_user':
        return { sessionsRevoked: await this.sessions.revokeAllForUserIn(tx, revoke, { userId: target.userId, reason: target.reason }) };
      case 'suspend_user':
        await this.repository.suspendUser(tx, target.userId);
        return { sessionsRevoked: await this.sessions.revokeAllForUserIn(tx, revoke, { userId: target.userId, reason: target.reason }), suspended: true };
    }
  }
}

/** Refresh-token reuse keeps the revocation reason it has always had; every other type says anomaly. */
function reasonFor(type: AnomalyType): RevocationReason {
  return type === 'refresh_token_reuse' ? 'refresh_reuse' : 'anomaly';
}
