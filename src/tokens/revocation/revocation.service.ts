import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { Clock } from '../../common/clock.js';
import { AppConfig } from '../../config/app-config.js';
import { SingleFlight } from '../../common/single-flight.js';
import type { Tx } from '../../database/prisma.service.js';
import { Transactions } from '../../database/transactions.service.js';
import { RevocationCache, type RevocationCheck } from '@gatehouse/verifier/core';
import { KeyMaterial } from '../key-material.js';
import { PushAuthenticator, type BusMessage, type SignedMessage } from './push-message.js';
import { REVOCATION_BUS, type BusHandlers, type RevocationBus } from './revocation-bus.js';
import { RevocationEventsRepository } from './revocation-events.repository.js';
import { NOTIFY_CHANNEL, notifyPayloads, REVOCATION_LISTENER, type RevocationListener } from './revocation-listener.js';
import type { NewRevocation, Revocation } from './revocation.types.js';

const CATCH_UP_BATCH = 1000;

/** What a transaction run through RevocationService.transaction() may revoke. */
export interface Revoker {
  /** Writes the revocation in this transaction; it is announced once the transaction commits. */
  record(revocation: NewRevocation): Promise<Revocation>;
  /** The set of signing keys changed (rotation, revocation): every instance re-reads it after commit. */
  keysChanged(): void;
}

/**
 * Why the signing keys may need a re-read: `changed` when someone told us (bus, a kid
 * revocation, a reconnect that may have missed a message); `unheard` on each catch-up beat
 * while the bus is not up, when nobody could have told us, so a cheap probe has to look.
 */
export type KeyHint = 'changed' | 'unheard';

/** Why a push message was dropped: not a message at all, or one whose MAC does not check out. */
export type IgnoredPush = 'malformed' | 'unauthenticated';

/**
 * Write, then broadcast, then catch up (DESIGN.md). Revocations are recorded only through
 * transaction(), which announces them after commit (local cache + bus); every instance also
 * polls the database for anything newer than its cursor, so a lost message only costs time.
 */
@Injectable()
export class RevocationService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Revocation');
  readonly cache: RevocationCache;
  private readonly ordered = new Subject<Revocation>();
  /**
   * Each revocation read by the catch-up loop: every revocation exactly once, in id order,
   * without gaps (the revocation feed and the metrics build on this). Subscribers must not throw.
   */
  readonly ordered$: Observable<Revocation> = this.ordered.asObservable();
  private readonly keyHints = new Subject<KeyHint>();
  readonly keyHints$: Observable<KeyHint> = this.keyHints.asObservable();
  private readonly ignored = new Subject<IgnoredPush>();
  /** Each push message dropped (counted in the metrics). */
  readonly ignored$: Observable<IgnoredPush> = this.ignored.asObservable();
  private readonly sync = new SingleFlight(() => this.catchUp());
  private cursor = 0n;
  /** The newest id this instance recorded itself (applied on commit, before any push could come back). */
  private recordedUpTo = 0n;
  /** Ids applied from a push whose catch-up read is under way (the same id heard again, over another channel, costs nothing). */
  private readonly heard = new Set<bigint>();
  private readonly authenticator: PushAuthenticator;
  private measuredOffsetMs = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly repository: RevocationEventsRepository,
    private readonly transactions: Transactions,
    @Inject(REVOCATION_BUS) private readonly bus: RevocationBus,
    @Inject(REVOCATION_LISTENER) private readonly listener: RevocationListener,
    keyMaterial: KeyMaterial,
  ) {
    this.cache = new RevocationCache(config.revocationMemoryMs);
    this.authenticator = new PushAuthenticator(keyMaterial.pushKeys);
  }

  async onModuleInit(): Promise<void> {
    // Boot: everything revoked within the memory window, then follow from the newest id.
    await this.measureClockOffset();
    const { revocations, upTo } = await this.readRecent();
    for (const revocation of revocations) this.cache.apply(revocation, this.horizonNow());
    this.cursor = upTo;
    await Promise.all([this.bus.start(this.pushHandlers), this.listener.start(this.pushHandlers)]);
    const interval = this.config.get('REVOCATION_SYNC_INTERVAL_MS');
    this.timers.push(setInterval(() => this.tick(), interval).unref());
    this.timers.push(setInterval(() => void this.measureAndPrune(), 30_000).unref());
  }

  /** After detections settled (they revoke through here), before the pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.sync.idle;
    await Promise.all([this.bus.close(), this.listener.close()]);
    this.ordered.complete();
    this.keyHints.complete();
    this.ignored.complete();
  }

  get busStatus(): 'up' | 'down' | 'off' {
    return this.bus.status;
  }

  /** The PostgreSQL LISTEN channel: 'off' with REVOCATION_LISTEN=false or the embedded database. */
  get listenStatus(): 'up' | 'down' | 'off' {
    return this.listener.status;
  }

  /** The id of the newest revocation this instance has read in order (its catch-up cursor). */
  get lastAppliedId(): bigint {
    return this.cursor;
  }

  /** Stored revocations with an id above `cursor`, oldest first (feed resume). */
  readAfter(cursor: bigint, limit: number): Promise<Revocation[]> {
    return this.repository.findAfter(cursor, limit);
  }

  /** The highest revocation id ever handed out, even if pruned since (0 when there is none). */
  newestId(): Promise<bigint> {
    return this.repository.newestAllocatedId();
  }

  /** Everything revoked within the memory window (database clock), up to the newest id: a complete start. */
  async readRecent(): Promise<{ revocations: Revocation[]; upTo: bigint }> {
    const upTo = await this.repository.maxId();
    const windowMs = this.config.revocationMemoryMs + Math.max(0, this.measuredOffsetMs);
    const revocations = await this.repository.findWithin(windowMs, upTo);
    return { revocations, upTo };
  }

  /** This instance's clock minus the database's (ms), as last measured. */
  get clockOffsetMs(): number {
    return this.measuredOffsetMs;
  }

  /**
   * Commit, then announce: the one way to record revocations, so no caller can record one and
   * forget to enforce it. `work` runs in one database transaction and records through `revoke`;
   * after it commits, each recorded revocation is applied to this instance's cache (before the
   * caller answers) and published to every other instance. If it throws, nothing was written
   * and nothing is announced.
   */
  async transaction<T>(work: (tx: Tx, revoke: Revoker) => Promise<T>): Promise<T> {
    const recorded: Revocation[] = [];
    let keysChanged = false;
    const result = await this.transactions.run(async (tx) => {
      const done = await work(tx, {
        record: async (revocation) => {
          const stored = await this.repository.insert(tx, revocation);
          recorded.push(stored);
          return stored;
        },
        keysChanged: () => (keysChanged = true),
      });
      if (this.listener.status !== 'off' && (recorded.length > 0 || keysChanged)) {
        const signed = messagesFor(recorded, keysChanged).map((message) => this.authenticator.sign(NOTIFY_CHANNEL, message));
        await this.repository.notify(tx, NOTIFY_CHANNEL, notifyPayloads(signed));
      }
      return done;
    });
    this.announce(recorded, keysChanged);
    return result;
  }

  check(token: RevocationCheck): 'session' | 'user' | 'key' | undefined {
    return this.cache.check(token);
  }

  /**
   * Reads revocations newer than the cursor from the database (single-flight: a request that
   * arrives mid-read gets one more read, so nothing committed before it waits a beat). Never rejects.
   */
  syncNow(): Promise<void> {
    return this.sync.run().catch((error: unknown) => this.logger.warn(`revocation catch-up failed: ${(error as Error).message}`));
  }

  private announce(revocations: Revocation[], keysChanged: boolean): void {
    for (const revocation of revocations) {
      const id = BigInt(revocation.id);
      if (id > this.recordedUpTo) this.recordedUpTo = id;
      this.cache.apply(revocation, this.horizonNow());
    }
    if (keysChanged) this.keyHints.next('changed');
    if (this.bus.status !== 'off') {
      for (const message of messagesFor(revocations, keysChanged)) this.bus.publish(this.authenticator.sign(this.bus.channel, message));
    }
    // In order for the cursor and the feed: at once, or through a read right away rather than at the next beat.
    if (!this.followDirectly(revocations)) void this.syncNow();
  }

  /**
   * Puts this instance's own just-committed revocations in order without reading them back when
   * they directly follow the cursor: every id up to the cursor has been read, and writers commit
   * in id order (the advisory lock), so nothing can come between. False when a read is needed:
   * another instance took an id in between, or a rolled-back transaction burnt one. (Never for a
   * pushed message: authentic as it may be, it could come from another deployment sharing the
   * secret, and must not move the cursor past an id this database has yet to show us.)
   */
  private followDirectly(revocations: Revocation[]): boolean {
    for (const revocation of revocations) {
      const id = BigInt(revocation.id);
      if (id <= this.cursor) continue; // a read in flight got there first
      if (id !== this.cursor + 1n) return false;
      this.follow(revocation);
    }
    return true;
  }

  /**
   * The catch-up beat. Rotations travel only over the bus (they revoke nothing), so while it is
   * not up the signing keys are probed each beat too: no instance keeps signing with a retired key.
   */
  private tick(): void {
    if (this.bus.status !== 'up') this.keyHints.next('unheard');
    void this.syncNow();
  }

  /**
   * The instant the cache ages its entries against. Entries carry database-clock times and must
   * outlive every token this instance could still accept; it checks a token's `exp` by its own
   * clock. An instance running ahead of the database by d would otherwise drop entries d early
   * while tokens it issued itself (exp d later) live on, so its aging clock is held back by d.
   * An instance running behind keeps entries longer than needed, which is harmless.
   */
  private horizonNow(): number {
    return this.clock.now() - Math.max(0, this.measuredOffsetMs);
  }

  /** Measures this instance's clock against the database's (half a round trip of error at most). */
  private async measureClockOffset(): Promise<void> {
    const before = this.clock.now();
    const databaseNow = await this.repository.databaseNow();
    const after = this.clock.now();
    this.measuredOffsetMs = Math.round((before + after) / 2 - databaseNow);
    const toleratedMs = this.config.get('CLOCK_SKEW_SECONDS') * 1000;
    if (Math.abs(this.measuredOffsetMs) > toleratedMs) {
      this.logger.warn(
        `this instance's clock is ${this.measuredOffsetMs} ms off the database's (tolerated: ${toleratedMs} ms); fix its time sync`,
      );
    }
  }

  private async measureAndPrune(): Promise<void> {
    await this.measureClockOffset().catch((error: unknown) => this.logger.warn(`clock check failed: ${(error as Error).message}`));
    this.cache.prune(this.horizonNow());
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const batch = await this.repository.findAfter(this.cursor, CATCH_UP_BATCH);
      // Skipping what was followed meanwhile (this instance's own commits, see followDirectly).
      for (const revocation of batch) if (BigInt(revocation.id) > this.cursor) this.follow(revocation);
      if (batch.length < CATCH_UP_BATCH) return;
    }
  }

  /**
   * The next revocation in id order: into the cache (already there if a push or its own commit
   * brought it) and on to the cursor, the feed and the metrics.
   */
  private follow(revocation: Revocation): void {
    if (revocation.kid) this.keyHints.next('changed');
    this.cache.apply(revocation, this.horizonNow());
    this.cursor = BigInt(revocation.id);
    this.ordered.next(revocation);
  }

  /** What every push channel calls. */
  private readonly pushHandlers: BusHandlers = {
    onMessage: (signed, channel) => this.receive(signed, channel),
    onReconnect: () => {
      // A key rotation announced while we were away is in no revocation row: re-read the keys.
      this.keyHints.next('changed');
      void this.syncNow();
    },
    onMalformed: (detail) => this.ignore('malformed', detail),
  };

  /**
   * A pushed message is applied at once if its MAC checks out (only an instance holding
   * KEY_ENCRYPTION_SECRET can have sent it, after its transaction committed), and dropped if not:
   * the critical path has no database read. The catch-up read then runs at once, as ever, and
   * puts the revocation in order for the cursor, the feed and the metrics; it is also what brings
   * anything a push lost or a forger tried to hide. An id already read in order, recorded here, or
   * heard over the other channel costs nothing, so a replayed message changes nothing.
   */
  private receive(signed: SignedMessage, channel: string): void {
    if (!this.authenticator.verify(channel, signed)) {
      this.ignore('unauthenticated', `${signed.message.type} message on ${channel} with a MAC that does not check out`);
      return;
    }
    const { message } = signed;
    if (message.type === 'keys_changed') {
      this.keyHints.next('changed');
      return;
    }
    const { revocation } = message;
    const id = BigInt(revocation.id);
    if (id <= this.cursor || id <= this.recordedUpTo || this.heard.has(id)) return;
    this.cache.apply(revocation, this.horizonNow());
    if (revocation.kid) this.keyHints.next('changed');
    this.heard.add(id);
    void this.syncNow().finally(() => this.heard.delete(id));
  }

  private ignore(reason: IgnoredPush, detail: string): void {
    this.logger.debug(`ignored a push message (${reason}): ${detail}`);
    this.ignored.next(reason);
  }
}

/** What a commit announces: each revocation, then whether the signing keys changed. */
function messagesFor(revocations: Revocation[], keysChanged: boolean): BusMessage[] {
  const messages: BusMessage[] = revocations.map((revocation) => ({ type: 'revocation', revocation }));
  if (keysChanged) messages.push({ type: 'keys_changed' });
  return messages;
}
