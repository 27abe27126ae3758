import type { ServerResponse } from 'node:http';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import { toWire, type Revocation } from '../tokens/revocation/revocation.types.js';

const BACKLOG_BATCH = 1000;

/**
 * GET /events/revocations: a server-sent event per revocation, ids = RevocationEvent ids.
 * A new consumer first gets every revocation of the last TTL + leeway (or everything after its
 * Last-Event-ID), then an `event: ready`, then live events in id order without gaps: live events
 * come from the catch-up loop, which reads the database in commit order.
 */
@Injectable()
export class RevocationFeed implements OnModuleDestroy {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly config: AppConfig,
    private readonly revocations: RevocationService,
  ) {}

  onModuleDestroy(): void {
    this.closeAll();
  }

  /** Ends every stream; consumers reconnect (to another instance) with Last-Event-ID. */
  closeAll(): void {
    for (const response of this.open) response.end();
    this.open.clear();
  }

  get connections(): number {
    return this.open.size;
  }

  /**
   * `stillAuthorized`, for callers authenticated by a bearer token: re-checked after every live
   * event and heartbeat; the stream ends as soon as the token is revoked or expires.
   */
  async stream(response: ServerResponse, lastEventId: bigint | undefined, stillAuthorized?: () => Promise<boolean>): Promise<void> {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 1000\n\n');
    this.open.add(response);

    let lastSent = lastEventId ?? 0n;
    let pending: Revocation[] | undefined = [];
    const send = (revocation: Revocation) => {
      const id = BigInt(revocation.id);
      if (id <= lastSent) return;
      lastSent = id;
      response.write(`id: ${revocation.id}\nevent: revocation\ndata: ${JSON.stringify(toWire(revocation))}\n\n`);
    };
    const recheck = () => {
      if (stillAuthorized) void stillAuthorized().then((ok) => ok || response.end());
    };
    const onOrdered = (revocation: Revocation) => {
      if (pending) pending.push(revocation);
      else {
        send(revocation);
        recheck();
      }
    };
    const heartbeat = setInterval(() => {
      response.write(': ping\n\n');
      recheck();
    }, this.config.get('SSE_HEARTBEAT_SECONDS') * 1000).unref();
    // Listen first, then read the backlog: whatever commits in between arrives either way.
    const subscription = this.revocations.ordered$.subscribe(onOrdered);
    const close = () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
      this.open.delete(response);
    };
    response.on('close', close);

    try {
      if (lastEventId === undefined) {
        const { revocations, upTo } = await this.revocations.readRecent();
        revocations.forEach(send);
        if (upTo > lastSent) lastSent = upTo;
      } else {
        for (;;) {
          const batch = await this.revocations.readAfter(lastSent, BACKLOG_BATCH);
          batch.forEach(send);
          if (batch.length < BACKLOG_BATCH) break;
        }
      }
    } catch {
      response.end();
      return;
    }
    const buffered = pending;
    pending = undefined;
    buffered.forEach(send);
    response.write(`id: ${lastSent}\nevent: ready\ndata: ${JSON.stringify({ lastEventId: lastSent.toString() })}\n\n`);
  }
}
