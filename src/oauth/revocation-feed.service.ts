import { Injectable, Logger, type MessageEvent, type OnModuleDestroy } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import type { Caller } from './client-auth.service.js';
import { FeedSession, type FeedSink } from './feed-session.js';

/** How long a client over its stream cap is told to wait: about as long as a dropped stream takes to be noticed. */
const RETRY_AFTER_SECONDS = 30;

export interface FeedRequest {
  caller: Caller;
  lastEventId: bigint | undefined;
  sink: FeedSink;
  /** Aborted by Nest on every end of the request (client gone, stream ended, error). */
  signal: AbortSignal;
}

/**
 * GET /events/revocations: a server-sent event per revocation, ids = RevocationEvent ids.
 * A new consumer first gets every revocation of the last TTL + leeway (or everything after its
 * Last-Event-ID), then an `event: ready`, then live events in id order without gaps (see
 * FeedSession). Streams are capped per client credential.
 */
@Injectable()
export class RevocationFeed implements OnModuleDestroy {
  private readonly logger = new Logger('RevocationFeed');
  private readonly sessions = new Set<FeedSession>();
  private readonly streamsPerCredential = new Map<string, number>();
  private droppedSlowConsumers = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly revocations: RevocationService,
  ) {}

  onModuleDestroy(): void {
    this.closeAll();
  }

  /** Ends every stream; consumers reconnect (to another instance) with Last-Event-ID. */
  closeAll(): void {
    for (const session of this.sessions) session.end();
  }

  get connections(): number {
    return this.sessions.size;
  }

  get slowConsumersDropped(): number {
    return this.droppedSlowConsumers;
  }

  /**
   * Checks what can still be answered with an error (stream cap, resume id) and returns the
   * stream. Runs before any byte of it is sent, so a refusal is an ordinary JSON error.
   */
  async open(request: FeedRequest): Promise<Observable<MessageEvent>> {
    const credential = credentialOf(request.caller);
    const release = this.reserve(credential, request.signal);
    try {
      if (request.lastEventId !== undefined && request.lastEventId > (await this.revocations.newestId())) {
        // Our history never reached that id (a restored database, another deployment): resuming
        // would silently skip every event up to it, so the consumer must start over.
        throw new DomainError('resync_required');
      }
    } catch (error) {
      release();
      throw error;
    }
    return new Observable<MessageEvent>((subscriber) => {
      const session = new FeedSession(subscriber, this.revocations, request.sink, {
        lastEventId: request.lastEventId,
        heartbeatMs: this.config.get('SSE_HEARTBEAT_SECONDS') * 1000,
        slowConsumerMs: this.config.get('SSE_SLOW_CONSUMER_SECONDS') * 1000,
        stillAuthorized: request.caller.kind === 'admin' ? request.caller.stillValid : undefined,
        onSlowConsumer: ({ lastEventId, unreadBytes }) => {
          this.droppedSlowConsumers++;
          this.logger.warn(
            `dropped ${credential}: slow consumer (read nothing for ${this.config.get('SSE_SLOW_CONSUMER_SECONDS')} s, ` +
              `${unreadBytes} bytes unread); it can resume after event ${lastEventId}`,
          );
        },
      });
      this.sessions.add(session);
      return () => {
        session.stop();
        this.sessions.delete(session);
        release();
      };
    });
  }

  /** Counts a stream against its credential until `signal` aborts (or the returned release runs). */
  private reserve(credential: string, signal: AbortSignal): () => void {
    const open = this.streamsPerCredential.get(credential) ?? 0;
    const max = this.config.get('SSE_MAX_STREAMS_PER_CLIENT');
    if (open >= max) {
      throw new DomainError('rate_limited', `At most ${max} revocation feed streams may be open per client; close one first.`, {
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      });
    }
    this.streamsPerCredential.set(credential, open + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      signal.removeEventListener('abort', release);
      const left = (this.streamsPerCredential.get(credential) ?? 1) - 1;
      if (left > 0) this.streamsPerCredential.set(credential, left);
      else this.streamsPerCredential.delete(credential);
    };
    if (signal.aborted) release();
    else signal.addEventListener('abort', release);
    return release;
  }
}

/** What the stream cap counts by: one client credential, or one admin. */
function credentialOf(caller: Caller): string {
  if (caller.kind === 'admin') return `admin:${caller.sub}`;
  // ClientAuthGuard lets only authenticated clients and admins through; a public caller never gets here.
  return `${caller.kind}:${caller.clientId ?? ''}`;
}
