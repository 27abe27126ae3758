import type { MessageEvent } from '@nestjs/common';
import type { Subscriber, Subscription } from 'rxjs';
import type { RevocationService } from '../tokens/revocation/revocation.service.js';
import { toWire, type Revocation } from '../tokens/revocation/revocation.types.js';

/** Events read from the database per step while catching up, and written before the next step. */
const BATCH = 500;
/** Reconnection delay an EventSource should use (sent with `ready`). */
const RETRY_MS = 1000;

/** The connection's outgoing side, as far as backpressure goes (a Node ServerResponse). */
export interface FeedSink {
  readonly writableNeedDrain: boolean;
  readonly writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
  destroy(): unknown;
}

export interface FeedSessionOptions {
  /** undefined: a new consumer, which first gets every revocation of the last TTL + leeway. */
  lastEventId: bigint | undefined;
  heartbeatMs: number;
  slowConsumerMs: number;
  /** For a stream opened with a bearer: re-checked after each live event and heartbeat. */
  stillAuthorized?: () => Promise<boolean>;
  onSlowConsumer(detail: { lastEventId: bigint; unreadBytes: number }): void;
}

class SlowConsumer extends Error {}

/**
 * One consumer of GET /events/revocations, as an Observable's producer (Nest's @Sse() writes
 * what it emits). Two modes:
 * - catching up: read the database after the last id sent, one batch at a time, and write the
 *   next batch only once the connection has drained: memory per consumer is one batch, however
 *   far behind it is;
 * - live: forward each revocation from RevocationService.ordered$ (id order, no gaps). A
 *   connection that backs up falls back to catching up, from the database, instead of
 *   buffering; one that reads nothing for `slowConsumerMs` is dropped.
 * Events are sent at most once and in id order: anything at or below the last id sent is skipped.
 */
export class FeedSession {
  private lastSent: bigint;
  private live = false;
  private catchingUp = false;
  private readySent = false;
  private ended = false;
  private readonly subscription: Subscription;
  private readonly heartbeat: NodeJS.Timeout;
  private stopWaiting: (() => void) | undefined;

  constructor(
    private readonly subscriber: Subscriber<MessageEvent>,
    private readonly revocations: RevocationService,
    private readonly sink: FeedSink,
    private readonly options: FeedSessionOptions,
  ) {
    this.lastSent = options.lastEventId ?? 0n;
    // Listen first, then read: whatever commits in between is either read or heard.
    this.subscription = revocations.ordered$.subscribe((revocation) => this.onLive(revocation));
    this.heartbeat = setInterval(() => this.onHeartbeat(), options.heartbeatMs).unref();
    void this.catchUp(options.lastEventId === undefined);
  }

  /** Teardown (every end: client gone, dropped, completed, app shutdown). Idempotent. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.subscription.unsubscribe();
    this.stopWaiting?.();
  }

  /** Ends the stream normally (shutdown, bearer no longer valid): the consumer reconnects. */
  end(): void {
    if (this.ended) return;
    this.stop();
    this.subscriber.complete();
  }

  private onLive(revocation: Revocation): void {
    if (!this.live || this.ended) return; // the catch-up loop reads it from the database
    if (this.sink.writableNeedDrain) {
      this.live = false;
      void this.catchUp(false);
      return;
    }
    this.send(revocation);
    this.recheck();
  }

  private onHeartbeat(): void {
    // Comments only when the connection keeps up: a backed-up one is being watched already.
    if (!this.sink.writableNeedDrain) this.subscriber.next({ comment: 'ping' });
    this.recheck();
  }

  private async catchUp(fromRecent: boolean): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      if (fromRecent) {
        const { revocations, upTo } = await this.revocations.readRecent();
        for (let i = 0; i < revocations.length; i += BATCH) {
          await this.drained();
          revocations.slice(i, i + BATCH).forEach((revocation) => this.send(revocation));
        }
        if (upTo > this.lastSent) this.lastSent = upTo;
      }
      for (;;) {
        await this.drained();
        if (this.ended) return;
        // Everything this instance has heard of committed before this read starts, so a short
        // read returns all of it that is still stored (what is not was pruned: nothing to send).
        const heard = this.revocations.lastAppliedId;
        const batch = await this.revocations.readAfter(this.lastSent, BATCH);
        batch.forEach((revocation) => this.send(revocation));
        if (batch.length < BATCH) {
          if (heard > this.lastSent) this.lastSent = heard;
          // Caught up unless ordered$ carried more while we read: from here on (synchronously,
          // so nothing slips between) ordered$ delivers every later event.
          if (this.lastSent >= this.revocations.lastAppliedId) break;
        }
      }
      if (this.ended) return;
      this.live = true;
      if (!this.readySent) this.sendReady();
    } catch (error) {
      if (error instanceof SlowConsumer) this.drop();
      // A database failure ends the stream cleanly; the consumer resumes with Last-Event-ID.
      else this.end();
    } finally {
      this.catchingUp = false;
    }
  }

  private sendReady(): void {
    this.readySent = true;
    const id = this.lastSent.toString();
    this.subscriber.next({ type: 'ready', id, retry: RETRY_MS, data: JSON.stringify({ lastEventId: id }) });
  }

  private send(revocation: Revocation): void {
    const id = BigInt(revocation.id);
    if (this.ended || id <= this.lastSent) return;
    this.lastSent = id;
    this.subscriber.next({ type: 'revocation', id: revocation.id, data: JSON.stringify(toWire(revocation)) });
  }

  private recheck(): void {
    const check = this.options.stillAuthorized;
    if (check) void check().then((ok) => ok || this.end());
  }

  /**
   * Resolves once the connection has room (at once when it has), rejects with SlowConsumer if
   * it stays backed up for `slowConsumerMs`, and resolves at once when the session ends.
   */
  private async drained(): Promise<void> {
    while (!this.ended && this.sink.writableNeedDrain) {
      await new Promise<void>((resolve, reject) => {
        const done = (settle: () => void) => {
          clearTimeout(timer);
          this.sink.off('drain', onDrain);
          this.stopWaiting = undefined;
          settle();
        };
        const onDrain = () => done(resolve);
        const timer = setTimeout(() => done(() => reject(new SlowConsumer())), this.options.slowConsumerMs);
        this.sink.once('drain', onDrain);
        this.stopWaiting = () => done(resolve);
      });
      // Let the writes queued before the drain go out, then look again.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The consumer reads nothing while events wait: drop it rather than buffer for it. */
  private drop(): void {
    if (this.ended) return;
    this.options.onSlowConsumer({ lastEventId: this.lastSent, unreadBytes: this.sink.writableLength });
    this.stop();
    // A graceful end would wait for the unread bytes to drain: close the connection instead.
    this.sink.destroy();
  }
}
