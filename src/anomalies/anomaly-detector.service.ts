import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { RequestContext } from '../common/request-context.js';
import { AnomalyCounters } from './anomaly-counters.service.js';
import { AnomalyResponder } from './anomaly-responder.service.js';
import { DetachedWork } from './detached-work.js';
import { networkOf } from './network.js';
import { UserNetworksRepository } from './user-networks.repository.js';

/** Detections running at once per instance; beyond this they are dropped and counted. */
const MAX_DETACHED_DETECTIONS = 64;

/** Who a 403 was answered to: a session (a bearer, or a resource server naming one) or only a user. */
export interface ForbiddenTarget {
  userId: string;
  sessionId?: string;
  context: RequestContext;
  /** Gatehouse's own 403, or one a resource server reported (POST /oauth/signals). */
  source: { kind: 'gatehouse' } | { kind: 'signal'; clientId: string };
}

/**
 * The detectors of API.md "Anomalies" (refresh_token_reuse is RefreshRotation's): each turns
 * what a request saw into an AnomalyResponder.raise when its rule says so. Nothing here runs on
 * the access-token hot path: the hooks are called from a 403, a login, a refresh (whose one
 * statement already returns what the session's previous network was) and a signal, and every
 * hook but the signal's runs detached, so no request ever waits on Redis or on a raise.
 *
 * Counting detectors raise when their count *reaches* the threshold: every hit reads back its
 * own count from one atomic step (AnomalyCounters), so one hit per window, on one instance,
 * raises, however many instances race.
 */
@Injectable()
export class AnomalyDetector implements OnModuleDestroy {
  private readonly logger = new Logger('Anomalies');
  private readonly detached = new DetachedWork(MAX_DETACHED_DETECTIONS, this.logger);
  private readonly windowSeconds: number;

  constructor(
    private readonly config: AppConfig,
    private readonly counters: AnomalyCounters,
    private readonly networks: UserNetworksRepository,
    private readonly responder: AnomalyResponder,
  ) {
    this.windowSeconds = config.get('ANOMALY_WINDOW_SECONDS');
  }

  /** Detections dropped since boot because too many were running (a metric). */
  get droppedDetections(): number {
    return this.detached.dropped;
  }

  /** Shutdown, once no handler runs: detections finish (they may audit: AuditService flushes after). */
  async onModuleDestroy(): Promise<void> {
    await this.detached.settle();
  }

  /** Gatehouse answered 403 forbidden to a verified bearer (detached: the 403 goes out at once). */
  forbiddenAnswered(target: ForbiddenTarget): void {
    this.detached.run('repeated_forbidden', () => this.countForbidden(target));
  }

  /**
   * One 403 towards repeated_forbidden: per session, or per user when only the user is known
   * (a resource server naming `sub`). Awaited by the signals endpoint, so a 202 means counted.
   */
  async countForbidden(target: ForbiddenTarget): Promise<void> {
    const threshold = this.config.get('ANOMALY_FORBIDDEN_THRESHOLD');
    const key = target.sessionId ? `forbidden:session:${target.sessionId}` : `forbidden:user:${target.userId}`;
    const count = await this.counters.increment(key, this.windowSeconds);
    if (count !== threshold) return;
    await this.responder.raise({
      type: 'repeated_forbidden',
      userId: target.userId,
      sessionId: target.sessionId,
      context: target.context,
      details: {
        forbiddenCount: count,
        windowSeconds: this.windowSeconds,
        lastReportedBy: target.source.kind === 'signal' ? target.source.clientId : 'gatehouse',
      },
    });
  }

  /**
   * A resource server reported suspicious activity: `reported`. The request came from the
   * resource server, not the user, so the anomaly names no network; the reporter's address is
   * kept in its details.
   */
  async reported(params: { userId: string; sessionId?: string; clientId: string; detail?: string; reporterIp?: string }): Promise<void> {
    await this.responder.raise({
      type: 'reported',
      userId: params.userId,
      sessionId: params.sessionId,
      context: {},
      details: { reportedBy: params.clientId, reporterIp: params.reporterIp ?? null, ...(params.detail ? { detail: params.detail } : {}) },
    });
  }

  /** A wrong password for an existing account (from any address): towards failed_logins. */
  loginFailed(params: { userId: string; context: RequestContext; locked: boolean }): void {
    this.detached.run('failed_logins', async () => {
      const threshold = this.config.get('ANOMALY_FAILED_LOGIN_THRESHOLD');
      const count = await this.counters.increment(`failed_logins:${params.userId}`, this.windowSeconds);
      if (count !== threshold) return;
      await this.responder.raise({
        type: 'failed_logins',
        userId: params.userId,
        context: params.context,
        details: { failedLogins: count, windowSeconds: this.windowSeconds, accountLocked: params.locked },
      });
    });
  }

  /** A login succeeded: new_network when its network is not in the user's recent history. */
  loginSucceeded(params: { userId: string; sessionId: string; context: RequestContext }): void {
    const network = networkOf(params.context.ip);
    if (!network) return;
    this.detached.run('new_network', async () => {
      const historyDays = this.config.get('ANOMALY_HISTORY_DAYS');
      const sighting = await this.networks.recordLogin({ userId: params.userId, network, historyDays });
      // Never for the first login: a user without history has no "usual" network yet.
      if (!sighting.isNew || !sighting.hadHistory) return;
      await this.responder.raise({
        type: 'new_network',
        userId: params.userId,
        sessionId: params.sessionId,
        context: params.context,
        details: { historyDays },
      });
    });
  }

  /**
   * A session was refreshed. `previousIp` is what the session held before this refresh (the
   * rotation statement returns it), so telling a change costs no query; only a change raises.
   */
  sessionRefreshed(params: { userId: string; sessionId: string; previousIp: string | null; context: RequestContext }): void {
    const previous = networkOf(params.previousIp ?? undefined);
    const current = networkOf(params.context.ip);
    if (!previous || !current || previous === current) return;
    this.detached.run('session_network_change', () =>
      this.responder.raise({
        type: 'session_network_change',
        userId: params.userId,
        sessionId: params.sessionId,
        context: params.context,
        details: { previousNetwork: previous },
      }),
    );
  }
}

