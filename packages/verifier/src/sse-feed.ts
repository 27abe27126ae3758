import { SseParser, type ServerSentEvent } from './sse-parser.js';
import { parseRevocation, type FeedHandlers, type FeedLogger, type RevocationFeed } from './revocation-feed.js';

export interface SseFeedOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  /** No byte for this long (the server pings every 15 s) means the connection is dead. */
  heartbeatTimeoutMs: number;
  /** First reconnection delay; doubles per failed attempt up to maxReconnectDelayMs. */
  reconnectDelayMs: number;
  maxReconnectDelayMs: number;
  logger: FeedLogger;
}

/**
 * Follows GET /events/revocations. Without a cursor the server first replays every revocation
 * still relevant (access TTL + leeway), then sends `ready`; after a drop we reconnect with
 * Last-Event-ID and get exactly what we missed, then `ready` again. Each event is applied
 * before its id becomes the cursor, so a reconnect never skips one.
 */
export class SseRevocationFeed implements RevocationFeed {
  readonly transport = 'sse' as const;
  lastEventId: string | undefined;
  lastError: string | undefined;
  connections = 0;
  private closed = false;
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private serverRetryMs: number | undefined;
  private reachedReady = false;

  constructor(private readonly options: SseFeedOptions) {}

  start(handlers: FeedHandlers): void {
    this.running ??= this.run(handlers);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.controller?.abort();
    this.wakeUp?.();
    await this.running;
  }

  private async run(handlers: FeedHandlers): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      this.reachedReady = false;
      const reason = await this.follow(handlers).then(
        () => 'the server ended the stream',
        (error: Error) => error.message,
      );
      if (this.closed) return;
      this.lastError = reason;
      handlers.onLost(reason);
      // A stream that worked reconnects after the base delay (a Gatehouse deploy); a failing one backs off.
      failures = this.reachedReady ? 0 : failures + 1;
      await this.sleep(this.reconnectDelay(failures));
    }
  }

  private reconnectDelay(failures: number): number {
    const base = Math.max(this.serverRetryMs ?? 0, this.options.reconnectDelayMs);
    const delay = Math.min(this.options.maxReconnectDelayMs, base * 2 ** Math.max(0, failures - 1));
    return Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  /** One connection, until it drops: resolves when the server ends it, rejects on failure. */
  private async follow(handlers: FeedHandlers): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    let stalled = false;
    const watchdog = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, this.options.heartbeatTimeoutMs);
    try {
      const response = await fetch(this.options.url, { headers: this.requestHeaders(), signal: controller.signal });
      if (response.status === 409 && this.lastEventId !== undefined) {
        // Gatehouse has no event this high (its database was restored from an older backup):
        // resuming would silently skip whatever it records next. Start over with the full replay.
        await response.body?.cancel();
        this.options.logger.warn(`the revocation feed refused Last-Event-ID ${this.lastEventId} (resync required); replaying from scratch`);
        this.lastEventId = undefined;
        throw new Error('the revocation feed asked for a resync (Last-Event-ID above its newest event)');
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`the revocation feed answered HTTP ${response.status}${response.status === 401 ? ' (check clientId/clientSecret)' : ''}`);
      }
      if (!response.headers.get('content-type')?.startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel();
        throw new Error('the revocation feed did not answer with text/event-stream');
      }
      this.connections++;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        watchdog.refresh();
        for (const event of parser.push(decoder.decode(value, { stream: true }))) this.handle(event, handlers);
        this.serverRetryMs = parser.retryMs ?? this.serverRetryMs;
      }
    } catch (error) {
      if (stalled) throw new Error(`no data on the revocation feed for ${this.options.heartbeatTimeoutMs} ms`, { cause: error });
      if (this.closed) return;
      const cause = (error as Error & { cause?: Error }).cause;
      throw new Error(`${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}`, { cause: error });
    } finally {
      clearTimeout(watchdog);
      controller.abort();
    }
  }

  private requestHeaders(): Record<string, string> {
    const credentials = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64');
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      authorization: `Basic ${credentials}`,
    };
    if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
    return headers;
  }

  private handle(event: ServerSentEvent, handlers: FeedHandlers): void {
    if (event.event === 'revocation') {
      const revocation = parseRevocation(event.id ?? '', parseJson(event.data));
      if (revocation) handlers.onRevocation(revocation);
      else this.options.logger.warn(`ignored a malformed revocation event ${event.id ?? ''}: ${event.data.slice(0, 200)}`);
      if (event.id !== undefined) this.lastEventId = event.id;
    } else if (event.event === 'ready') {
      // The replay may have sent no event at all: take the server's cursor (the ready event's id,
      // or its data) so that a reconnect resumes from there instead of replaying everything.
      const ready = parseJson(event.data) as { lastEventId?: unknown } | undefined;
      const cursor = event.id || (typeof ready?.lastEventId === 'string' ? ready.lastEventId : undefined);
      if (cursor) this.lastEventId = cursor;
      this.reachedReady = true;
      handlers.onLive();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
