import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RevocationFeed } from '../oauth/revocation-feed.service.js';
import { AccessTokenService } from '../tokens/access-token.service.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import type { Revocation } from '../tokens/revocation/revocation.types.js';
import { MailOutbox } from '../mail/mail-outbox.service.js';
import { MailWorker } from '../mail/mail-worker.service.js';
import { PasswordHasher } from '../users/password-hasher.service.js';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { AnomalyResponder } from '../anomalies/anomaly-responder.service.js';
import { SignalsService } from '../oauth/signals.service.js';

/** Prometheus metrics for this instance (GET /metrics). One registry per app. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;

  constructor(
    revocations: RevocationService,
    accessTokens: AccessTokenService,
    feed: RevocationFeed,
    hasher: PasswordHasher,
    mailWorker: MailWorker,
    outbox: MailOutbox,
    anomalies: AnomalyResponder,
    detector: AnomalyDetector,
    signals: SignalsService,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
    this.httpRequests = new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    const applied = new Counter({
      name: 'gatehouse_revocations_applied_total',
      help: 'Revocations applied from the database stream, by kind',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    revocations.ordered$.subscribe((revocation: Revocation) =>
      applied.inc({ kind: revocation.sid ? 'session' : revocation.kid ? 'key' : 'user' }),
    );
    const ignoredPush = new Counter({
      name: 'gatehouse_revocation_push_ignored_total',
      help: 'Push messages (Redis, NOTIFY) dropped: malformed, or unauthenticated (a MAC that does not check out)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    revocations.ignored$.subscribe((reason) => ignoredPush.inc({ reason }));
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge('gatehouse_revocation_cache_entries', 'Entries in the in-memory revocation cache', () => revocations.cache.size);
    gauge('gatehouse_revocation_bus_up', '1 when the Redis revocation bus is connected, 0 when down or not configured', () =>
      revocations.busStatus === 'up' ? 1 : 0,
    );
    gauge('gatehouse_revocation_listen_up', '1 when the PostgreSQL LISTEN connection is up, 0 when down or off', () =>
      revocations.listenStatus === 'up' ? 1 : 0,
    );
    gauge('gatehouse_verified_token_cache_entries', 'Access tokens whose signature is cached as verified', () => accessTokens.verifiedCacheSize);
    gauge('gatehouse_revocation_feed_connections', 'Open /events/revocations streams', () => feed.connections);
    gauge('gatehouse_revocation_feed_slow_consumers_dropped', 'Feed streams dropped since boot because their consumer stopped reading', () =>
      feed.slowConsumersDropped,
    );
    gauge('gatehouse_password_hash_queue', 'Password hashes waiting for a slot', () => hasher.queued);
    this.registerMail(mailWorker, outbox);
    const raised = new Counter({
      name: 'gatehouse_anomalies_total',
      help: 'Anomalies raised by this instance, by type and the action their policy took',
      labelNames: ['type', 'action'],
      registers: [this.registry],
    });
    anomalies.raised$.subscribe((anomaly) => raised.inc({ type: anomaly.type, action: anomaly.action }));
    gauge('gatehouse_anomaly_detections_dropped', 'Detections this instance dropped since boot because too many were running', () =>
      detector.droppedDetections,
    );
    const received = new Counter({
      name: 'gatehouse_signals_total',
      help: 'POST /oauth/signals received by this instance, by type and outcome (applied, or unmatched: naming nothing live)',
      labelNames: ['type', 'outcome'],
      registers: [this.registry],
    });
    signals.outcomes$.subscribe(({ type, outcome }) => received.inc({ type, outcome }));
  }

  /** Delivery outcomes on this instance, and the shared outbox as every instance sees it. */
  private registerMail(worker: MailWorker, outbox: MailOutbox): void {
    const outcomes = new Counter({
      name: 'gatehouse_mail_deliveries_total',
      help: 'Mail delivery attempts by this instance, by outcome (delivered, retry, failed) and kind',
      labelNames: ['outcome', 'kind'],
      registers: [this.registry],
    });
    for (const outcome of ['delivered', 'retry', 'failed'] as const) {
      worker.events.on(outcome, (kind: string) => outcomes.inc({ outcome, kind }));
    }
    let stats: Awaited<ReturnType<MailOutbox['queueStats']>> = { counts: {}, oldestPendingSeconds: 0 };
    let inFlight: Promise<void> | undefined;
    // Both gauges share one outbox query per scrape; a database hiccup keeps the last figures.
    const refresh = () =>
      (inFlight ??= outbox
        .queueStats()
        .then((fresh) => void (stats = fresh), () => undefined)
        .finally(() => (inFlight = undefined)));
    new Gauge({
      name: 'gatehouse_mail_outbox',
      help: 'Mails in the outbox not delivered: pending, sending, and failed for good (alert on failed > 0)',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        await refresh();
        for (const status of ['pending', 'sending', 'failed'] as const) this.set({ status }, stats.counts[status] ?? 0);
      },
    });
    new Gauge({
      name: 'gatehouse_mail_oldest_undelivered_seconds',
      help: 'Age of the oldest pending or sending mail (0 when the outbox is drained)',
      registers: [this.registry],
      async collect() {
        await refresh();
        this.set(stats.oldestPendingSeconds);
      },
    });
  }
}
