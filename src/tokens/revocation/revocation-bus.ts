import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Revocation } from './revocation.types.js';

/**
 * What an instance publishes. The revocation itself rides along for the verifier package's
 * Redis feed (packages/verifier/src/redis-feed.ts); Gatehouse instances take only its id.
 */
export type BusMessage = { type: 'revocation'; revocation: Revocation } | { type: 'keys_changed' };

/**
 * What a receiving instance takes from a push message (Redis or PostgreSQL NOTIFY): an event id
 * to read back from the database, or a hint to re-read the signing keys. Never a payload to
 * apply, so whoever can publish on the channel can at most make an instance read the database
 * (issue 8 #15): a message can only ever add a revocation that was committed.
 */
export type PushNotice = { type: 'revocation'; id: bigint } | { type: 'keys_changed' };

export interface BusHandlers {
  onNotice(notice: PushNotice): void;
  /** Called after a (re)connection: messages may have been missed, so catch up from the database. */
  onReconnect(): void;
  /** A message that is no notice at all (garbage, a wrong shape): dropped; `detail` is for a debug line. */
  onMalformed(detail: string): void;
}

/** The largest value of a PostgreSQL bigint: no event id can exceed it. */
const MAX_EVENT_ID = 9_223_372_036_854_775_807n;

/** An event id as it travels (a decimal string), or undefined if it cannot be one. */
export function parseEventId(raw: unknown): bigint | undefined {
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,18}$/.test(raw)) return undefined;
  const id = BigInt(raw);
  return id <= MAX_EVENT_ID ? id : undefined;
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
      const notice = this.parse(raw);
      if (notice === 'own') return;
      if (notice) handlers.onNotice(notice);
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

  publish(message: BusMessage): void {
    const raw = JSON.stringify({ from: this.instanceId, message });
    this.publisher.publish(this.channel, raw).catch(() => undefined);
  }

  /** The notice in a message (only its type and event id are read), 'own' for our own, undefined for garbage. */
  private parse(raw: string): PushNotice | 'own' | undefined {
    let envelope: { from?: unknown; message?: { type?: unknown; revocation?: { id?: unknown } } } | null;
    try {
      envelope = JSON.parse(raw) as typeof envelope;
    } catch {
      return undefined;
    }
    if (envelope?.from === this.instanceId) return 'own';
    const message = envelope?.message;
    if (message?.type === 'keys_changed') return { type: 'keys_changed' };
    const id = message?.type === 'revocation' ? parseEventId(message.revocation?.id) : undefined;
    return id === undefined ? undefined : { type: 'revocation', id };
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}

export const REVOCATION_BUS = Symbol('REVOCATION_BUS');
