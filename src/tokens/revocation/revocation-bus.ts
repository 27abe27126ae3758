import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { parseSigned, type SignedMessage } from './push-message.js';

export interface BusHandlers {
  /**
   * A message in the right shape, MAC not yet checked, and the channel it came on (part of what
   * the MAC covers).
   */
  onMessage(signed: SignedMessage, channel: string): void;
  /** Called after a (re)connection: messages may have been missed, so catch up from the database. */
  onReconnect(): void;
  /** A message that is no message at all (garbage, a wrong shape): dropped; `detail` is for a debug line. */
  onMalformed(detail: string): void;
}

/**
 * The push half of propagation (DESIGN.md "Revocation: write, then broadcast, then catch up").
 * It may drop messages; the database catch-up loop makes up for that, so publishing never
 * throws and never fails a request.
 */
export interface RevocationBus {
  readonly status: 'up' | 'down' | 'off';
  start(handlers: BusHandlers): Promise<void>;
  /** The channel messages travel on: what `publish`'s MAC must be made for. */
  readonly channel: string;
  publish(signed: SignedMessage): void;
  close(): Promise<void>;
}

/** Single instance, no Redis: the local cache is updated directly; nothing to send. */
export class InProcessBus implements RevocationBus {
  readonly status = 'off' as const;
  readonly channel = 'in-process';
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

  constructor(url: string, readonly channel: string) {
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
      const signed = this.parse(raw);
      if (signed === 'own') return;
      if (signed) handlers.onMessage(signed, this.channel);
      else handlers.onMalformed(`Redis message ${JSON.stringify(raw.slice(0, 120))}`);
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

  publish(signed: SignedMessage): void {
    const raw = JSON.stringify({ from: this.instanceId, ...signed });
    this.publisher.publish(this.channel, raw).catch(() => undefined);
  }

  /** The signed message in an envelope (`{ from, message, mac }`), 'own' for our own, undefined for garbage. */
  private parse(raw: string): SignedMessage | 'own' | undefined {
    let envelope: unknown;
    try {
      envelope = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if ((envelope as { from?: unknown } | null)?.from === this.instanceId) return 'own';
    return parseSigned(envelope);
  }

  async close(): Promise<void> {
    // Closing on purpose: the 'close' event that follows is no lost Redis (no warning at shutdown).
    this.connected = false;
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}

export const REVOCATION_BUS = Symbol('REVOCATION_BUS');
