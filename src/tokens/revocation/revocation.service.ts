import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { AppConfig } from '../../config/app-config.js';
import type { Tx } from '../../database/prisma.service.js';
import { RevocationCache, type RevocationCheck } from './revocation-cache.js';
import { REVOCATION_BUS, type BusMessage, type RevocationBus } from './revocation-bus.js';
import { RevocationEventsRepository } from './revocation-events.repository.js';
import type { NewRevocation, Revocation } from './revocation.types.js';

const CATCH_UP_BATCH = 1000;
/** How long revocation events stay in the database for feed consumers resuming late. */
const RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Write, then broadcast, then catch up (DESIGN.md). Revocations are recorded inside the
 * caller's transaction, announced after commit (local cache + bus), and every instance also
 * polls the database for anything newer than its cursor, so a lost message only costs time.
 */
@Injectable()
export class RevocationService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Revocation');
  readonly cache: RevocationCache;
  /**
   * Emits 'ordered' with each revocation read by the catch-up loop: every revocation exactly
   * once, in id order, without gaps (the revocation feed builds on this).
   */
  readonly events = new EventEmitter();
  private readonly keyListeners = new Set<() => void>();
  private cursor = 0n;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
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
      onReconnect: () => {
        // A key rotation announced while we were away is in no revocation row: re-read the keys.
        this.notifyKeyListeners();
        void this.syncNow();
      },
    });
    const interval = this.config.get('REVOCATION_SYNC_INTERVAL_MS');
    this.timers.push(setInterval(() => this.tick(), interval).unref());
    this.timers.push(setInterval(() => this.cache.prune(), 30_000).unref());
    this.timers.push(setInterval(() => void this.pruneStored(), 60 * 60 * 1000).unref());
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

  /** Stored revocations with an id above `cursor`, oldest first (feed resume). */
  readAfter(cursor: bigint, limit: number): Promise<Revocation[]> {
    return this.repository.findAfter(cursor, limit);
  }

  /** Everything revoked within the last TTL + leeway, up to the newest id: a complete start. */
  async readRecent(): Promise<{ revocations: Revocation[]; upTo: bigint }> {
    const upTo = await this.repository.maxId();
    const revocations = await this.repository.findSince(new Date(Date.now() - this.config.revocationMemoryMs), upTo);
    return { revocations, upTo };
  }

  /** Writes the revocation in the caller's transaction; announce() it after commit. */
  record(tx: Tx, revocation: NewRevocation): Promise<Revocation> {
    return this.repository.insert(tx, revocation);
  }

  /** After commit: enforce here at once, and tell every other instance. */
  announce(revocations: Revocation[]): void {
    for (const revocation of revocations) {
      this.cache.apply(revocation);
      this.bus.publish({ type: 'revocation', revocation });
    }
    // Pick it up in order for the feed right away rather than at the next tick.
    if (revocations.length > 0) void this.syncNow();
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

  /**
   * Reads revocations newer than the cursor from the database. Single-flight; a request that
   * arrives mid-read runs one more read, so nothing committed before the request waits a tick.
   */
  syncNow(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        await this.catchUp();
      } while (this.syncAgain);
    })()
      .catch((error: unknown) => this.logger.warn(`revocation catch-up failed: ${(error as Error).message}`))
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /**
   * The catch-up beat. Rotations travel only over the bus (they revoke nothing), so while it
   * is not up the keys are re-read each beat too: no instance keeps signing with a retired key.
   */
  private tick(): void {
    if (this.bus.status !== 'up') this.notifyKeyListeners();
    void this.syncNow();
  }

  /** Rows older than any resume point worth serving; tokens they covered expired long ago. */
  private async pruneStored(): Promise<void> {
    const keepMs = Math.max(RETENTION_MS, this.config.revocationMemoryMs);
    await this.repository.deleteOlderThan(new Date(Date.now() - keepMs)).catch(() => undefined);
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const batch = await this.repository.findAfter(this.cursor, CATCH_UP_BATCH);
      for (const revocation of batch) {
        if (revocation.kid) this.notifyKeyListeners();
        this.cache.apply(revocation);
        this.events.emit('ordered', revocation);
      }
      if (batch.length > 0) this.cursor = BigInt(batch[batch.length - 1].id);
      if (batch.length < CATCH_UP_BATCH) return;
    }
  }

  private receive(message: BusMessage): void {
    if (message.type === 'keys_changed') {
      this.notifyKeyListeners();
      return;
    }
    if (message.revocation.kid) this.notifyKeyListeners();
    this.cache.apply(message.revocation);
    void this.syncNow();
  }

  private notifyKeyListeners(): void {
    for (const listener of this.keyListeners) listener();
  }
}
