import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { AppConfig } from '../../config/app-config.js';
import type { Tx } from '../../database/prisma.service.js';
import { RevocationCache, type RevocationCheck } from './revocation-cache.js';
import { REVOCATION_BUS, type BusMessage, type RevocationBus } from './revocation-bus.js';
import { RevocationEventsRepository } from './revocation-events.repository.js';
import type { NewRevocation, Revocation } from './revocation.types.js';

const CATCH_UP_BATCH = 1000;

/**
 * Write, then broadcast, then catch up (DESIGN.md). Revocations are recorded inside the
 * caller's transaction, announced after commit (local cache + bus), and every instance also
 * polls the database for anything newer than its cursor, so a lost message only costs time.
 */
@Injectable()
export class RevocationService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Revocation');
  readonly cache: RevocationCache;
  /** Emits 'revocation' for every revocation this instance applies (metrics, SSE wake-ups). */
  readonly events = new EventEmitter();
  private readonly keyListeners = new Set<() => void>();
  private cursor = 0n;
  private syncing: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly repository: RevocationEventsRepository,
    @Inject(REVOCATION_BUS) private readonly bus: RevocationBus,
  ) {
    this.cache = new RevocationCache(config.revocationMemoryMs);
    this.events.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    // Boot: everything revoked within the last TTL + leeway, then follow from the newest id.
    const upTo = await this.repository.maxId();
    const recent = await this.repository.findSince(new Date(Date.now() - this.config.revocationMemoryMs), upTo);
    for (const revocation of recent) this.cache.apply(revocation);
    this.cursor = upTo;
    await this.bus.start({
      onMessage: (message) => this.receive(message),
      onReconnect: () => void this.syncNow(),
    });
    const interval = this.config.get('REVOCATION_SYNC_INTERVAL_MS');
    this.timers.push(setInterval(() => void this.syncNow(), interval).unref());
    this.timers.push(setInterval(() => this.cache.prune(), 30_000).unref());
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.syncing;
    await this.bus.close();
  }

  get busStatus(): 'up' | 'down' | 'off' {
    return this.bus.status;
  }

  get lastAppliedId(): bigint {
    return this.cursor;
  }

  /** Writes the revocation in the caller's transaction; announce() it after commit. */
  record(tx: Tx, revocation: NewRevocation): Promise<Revocation> {
    return this.repository.insert(tx, revocation);
  }

  /** After commit: enforce here at once, and tell every other instance. */
  announce(revocations: Revocation[]): void {
    for (const revocation of revocations) {
      this.apply(revocation);
      this.bus.publish({ type: 'revocation', revocation });
    }
  }

  /** Tells other instances the set of signing keys changed (rotation, revocation). */
  announceKeysChanged(): void {
    this.bus.publish({ type: 'keys_changed' });
  }

  onKeysChanged(listener: () => void): void {
    this.keyListeners.add(listener);
  }

  check(token: RevocationCheck): 'session' | 'user' | 'key' | undefined {
    return this.cache.check(token);
  }

  /** Reads revocations newer than the cursor from the database (single-flight). */
  syncNow(): Promise<void> {
    this.syncing ??= this.catchUp()
      .catch((error: unknown) => this.logger.warn(`revocation catch-up failed: ${(error as Error).message}`))
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const batch = await this.repository.findAfter(this.cursor, CATCH_UP_BATCH);
      for (const revocation of batch) {
        if (revocation.kid) this.notifyKeyListeners();
        this.apply(revocation);
      }
      if (batch.length > 0) this.cursor = BigInt(batch[batch.length - 1]!.id);
      if (batch.length < CATCH_UP_BATCH) return;
    }
  }

  private receive(message: BusMessage): void {
    if (message.type === 'keys_changed') {
      this.notifyKeyListeners();
      return;
    }
    if (message.revocation.kid) this.notifyKeyListeners();
    this.apply(message.revocation);
  }

  private apply(revocation: Revocation): void {
    this.cache.apply(revocation);
    this.events.emit('revocation', revocation);
  }

  private notifyKeyListeners(): void {
    for (const listener of this.keyListeners) listener();
  }
}
