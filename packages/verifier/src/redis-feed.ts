import type { Redis } from 'ioredis';
import { parseRevocation, type FeedHandlers, type FeedLogger, type RevocationFeed } from './revocation-feed.js';

export interface RedisFeedOptions {
  url: string;
  channel: string;
  logger: FeedLogger;
}

/**
 * Listens on Gatehouse's Redis revocation channel. Pub/sub has no backlog: revocations made
 * before we subscribed, or while the connection was down, are never delivered. That is why the
 * SSE feed is the recommended one; this exists for services that already share Gatehouse's Redis.
 * ioredis is loaded only when this feed is used, so the verifier core does not need it.
 */
export class RedisRevocationFeed implements RevocationFeed {
  readonly transport = 'redis' as const;
  readonly lastEventId = undefined;
  lastError: string | undefined;
  connections = 0;
  private client: Redis | undefined;
  private closed = false;

  constructor(private readonly options: RedisFeedOptions) {}

  start(handlers: FeedHandlers): void {
    void this.connect(handlers).catch((error: Error) => {
      this.lastError = `cannot use Redis for revocations: ${error.message}`;
      handlers.onLost(this.lastError);
    });
  }

  private async connect(handlers: FeedHandlers): Promise<void> {
    const { Redis } = await import('ioredis');
    if (this.closed) return;
    // We subscribe ourselves on every 'ready' (not autoResubscribe) so we know when it took effect.
    const client = new Redis(this.options.url, {
      lazyConnect: true,
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    });
    this.client = client;
    client.on('error', (error: Error) => (this.lastError = `Redis: ${error.message}`));
    client.on('message', (_channel: string, raw: string) => this.receive(raw, handlers));
    client.on('ready', () => {
      client.subscribe(this.options.channel).then(
        () => {
          this.connections++;
          handlers.onLive();
        },
        (error: Error) => (this.lastError = `Redis SUBSCRIBE failed: ${error.message}`),
      );
    });
    client.on('close', () => {
      if (!this.closed) handlers.onLost(this.lastError ?? 'the Redis connection closed');
    });
    await client.connect();
  }

  private receive(raw: string, handlers: FeedHandlers): void {
    let message: { type?: unknown; revocation?: { id?: unknown } } | undefined;
    try {
      message = (JSON.parse(raw) as { message?: typeof message }).message;
    } catch {
      message = undefined;
    }
    if (message?.type === 'keys_changed') {
      handlers.onKeysChanged();
      return;
    }
    const id = message?.revocation?.id;
    const revocation =
      message?.type === 'revocation'
        ? parseRevocation(typeof id === 'string' || typeof id === 'number' ? String(id) : '', message.revocation)
        : undefined;
    if (revocation) handlers.onRevocation(revocation);
    else this.options.logger.warn(`ignored a malformed message on ${this.options.channel}: ${raw.slice(0, 200)}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client?.disconnect();
  }
}
