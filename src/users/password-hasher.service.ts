import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Injectable } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { FairSlots } from './fair-slots.js';

/**
 * bcrypt with three guards:
 * - Truncation: bcrypt ignores everything past 72 bytes, so the password is first hashed with
 *   SHA-384 and base64-encoded (64 ASCII bytes): every byte of a 256-character password counts.
 * - Starvation: hashes run on libuv's thread pool. At most PASSWORD_HASH_CONCURRENCY run at once
 *   (default: cores), so the pool always has free threads; the rest wait in line up to
 *   PASSWORD_HASH_QUEUE_TIMEOUT_MS, then get 503 service_unavailable with Retry-After.
 * - Fairness: each caller (a user, or an IP for anonymous requests) waits in its own line and the
 *   lines are served in turn, so one caller sending 48 at once delays everyone else by at most
 *   one hash; beyond PASSWORD_HASH_QUEUE_PER_CALLER in flight or waiting it gets 429 at once.
 */
@Injectable()
export class PasswordHasher {
  private readonly cost: number;
  private readonly slots: FairSlots;
  private readonly dummyHash: Promise<string>;

  constructor(config: AppConfig) {
    this.cost = config.get('BCRYPT_COST');
    this.slots = new FairSlots({
      concurrency: config.get('PASSWORD_HASH_CONCURRENCY') ?? Math.max(1, availableParallelism()),
      perCaller: config.get('PASSWORD_HASH_QUEUE_PER_CALLER'),
      timeoutMs: config.get('PASSWORD_HASH_QUEUE_TIMEOUT_MS'),
      overloaded: () =>
        new DomainError('service_unavailable', 'Too many sign-ins at once; retry shortly.', { headers: { 'retry-after': '1' } }),
      callerBusy: () =>
        new DomainError('rate_limited', 'Too many password checks in flight from you; retry shortly.', { headers: { 'retry-after': '1' } }),
    });
    // Compared against when the email is unknown, so both failures cost one bcrypt compare.
    this.dummyHash = bcrypt.hash(prehash('gatehouse-dummy-password'), this.cost);
  }

  /** `caller` names whose line the hash waits in: `user:<id>`, `ip:<address>`, or `system`. */
  hash(password: string, caller = 'system'): Promise<string> {
    return this.slots.run(caller, () => bcrypt.hash(prehash(password), this.cost));
  }

  /** Compares against `hash`, or against a dummy hash of the same cost when there is none. */
  async verify(password: string, hash: string | undefined, caller = 'system'): Promise<boolean> {
    const target = hash ?? (await this.dummyHash);
    const matches = await this.slots.run(caller, () => bcrypt.compare(prehash(password), target));
    return matches && hash !== undefined;
  }

  get queued(): number {
    return this.slots.waiting;
  }
}

function prehash(password: string): string {
  return createHash('sha384').update(password, 'utf8').digest('base64');
}
