import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Revocation } from './revocation.types.js';

export type BusMessage = { type: 'revocation'; revocation: Revocation } | { type: 'keys_changed' };

export interface BusHandlers {
  onMessage(message: BusMessage): void;
  /** Called after a (re)connection: messages may have been missed, so catch up from the database. */
  onReconnect(): void;
}

/**
 * The push half of propagation (DESIGN.md "Revocation: write, then broadcast, then catch up").
 * It may drop messages; the database catch-up loop makes up for that, so publishing never
 * throws and never fails a request.
 */
export interface RevocationBus {
  readonly status: 'up' | 'down' | 'off';
  start(handlers: BusHandlers): Promise<void>;
  publish(message: BusMessage): void;
  close(): Promise<void>;
}

/** Single instance, no Redis: the local cache is updated directly; nothing to send. */
export class InProcessBus implements RevocationBus {
  readonly status = 'off' as const;
  async start(): Promise<void> {}
  publish(): void {}
  async close(): Promise<void> {}
}

/** Redis pub/sub between instances: one connection publishes, one subscribes. */
export class RedisBus implements RevocationBus {
  private readonly logger = new Logger('RevocationBus');
  private readonly instanceId = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private connected = false;

  constructor(url: string, private readonly channel: string) {
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    for (const connection of [this.publisher, this.subscriber]) connection.on('error', () => undefined);
  }

  get status(): 'up' | 'down' {
    return this.connected && this.publisher.status === 'ready' ? 'up' : 'down';
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.subscriber.on('message', (_channel: string, raw: string) => {
      const message = this.parse(raw);
      if (message) handlers.onMessage(message);
    });
    this.subscriber.on('ready', () => {
      const wasConnected = this.connected;
      this.connected = true;
      if (!wasConnected) this.logger.log('connected to Redis');
      handlers.onReconnect();
    });
    this.subscriber.on('close', () => {
      if (this.connected) this.logger.warn('lost Redis; revocations now arrive through the database catch-up only');
      this.connected = false;
    });
    // Wait briefly for a healthy Redis so the first revocations are pushed, but never let Redis
    // hold up boot: without it the instance runs on the catch-up loop and keeps retrying.
    const subscribed = this.subscriber.subscribe(this.channel).catch((error: Error) => {
      this.logger.warn(`Redis unavailable (${error.message}); will keep retrying`);
    });
    const connected = this.publisher.connect().catch(() => undefined);
    await Promise.race([Promise.all([subscribed, connected]), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  publish(message: BusMessage): void {
    const raw = JSON.stringify({ from: this.instanceId, message });
    this.publisher.publish(this.channel, raw).catch(() => undefined);
  }

  private parse(raw: string): BusMessage | undefined {
    try {
      const envelope = JSON.parse(raw) as { from?: string; message?: BusMessage };
      if (envelope.from === this.instanceId || !envelope.message) return undefined;
      return envelope.message;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}

export const REVOCATION_BUS = Symbol('REVOCATION_BUS');
