import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Injectable } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';

/**
 * bcrypt with two guards:
 * - Truncation: bcrypt ignores everything past 72 bytes, so the password is first hashed with
 *   SHA-384 and base64-encoded (64 ASCII bytes): every byte of a 256-character password counts.
 * - Starvation: hashes run on libuv's thread pool. At most PASSWORD_HASH_CONCURRENCY run at once
 *   (default: cores), so the pool always has free threads; the rest wait in line up to
 *   PASSWORD_HASH_QUEUE_TIMEOUT_MS, then get 503 service_unavailable with Retry-After.
 */
@Injectable()
export class PasswordHasher {
  private readonly cost: number;
  private readonly concurrency: number;
  private readonly queueTimeoutMs: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly dummyHash: Promise<string>;

  constructor(config: AppConfig) {
    this.cost = config.get('BCRYPT_COST');
    this.concurrency = config.get('PASSWORD_HASH_CONCURRENCY') ?? Math.max(1, availableParallelism());
    this.queueTimeoutMs = config.get('PASSWORD_HASH_QUEUE_TIMEOUT_MS');
    // Compared against when the email is unknown, so both failures cost one bcrypt compare.
    this.dummyHash = bcrypt.hash(prehash('gatehouse-dummy-password'), this.cost);
  }

  hash(password: string): Promise<string> {
    return this.withSlot(() => bcrypt.hash(prehash(password), this.cost));
  }

  /** Compares against `hash`, or against a dummy hash of the same cost when there is none. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const target = hash ?? (await this.dummyHash);
    const matches = await this.withSlot(() => bcrypt.compare(prehash(password), target));
    return matches && hash !== undefined;
  }

  get queued(): number {
    return this.waiting.length;
  }

  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.concurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.inFlight++;
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new DomainError('service_unavailable', 'Too many sign-ins at once; retry shortly.', { headers: { 'retry-after': '1' } }));
      }, this.queueTimeoutMs);
      this.waiting.push(grant);
    });
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}

function prehash(password: string): string {
  return createHash('sha384').update(password, 'utf8').digest('base64');
}
