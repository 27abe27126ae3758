/** What a throttler storage answers for one hit (@nestjs/throttler's ThrottlerStorageRecord). */
export interface RateLimitHit {
  totalHits: number;
  /** Seconds until the counting window ends. */
  timeToExpire: number;
  isBlocked: boolean;
  /** Seconds until the block ends (0 when not blocked). */
  timeToBlockExpire: number;
}

interface Window {
  hits: number;
  /** When the counting window ends (ms). */
  resetAt: number;
  /** When the block ends (ms); 0 when never blocked. */
  blockedUntil: number;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * Rate-limit counters in this process's memory, counted as the Redis store counts them
 * (@nest-lab/throttler-storage-redis's script), so a fallback to memory changes where the
 * count lives, not how it is counted: a fixed window of `ttl` that starts with its first hit;
 * the hit past `limit` blocks the key for `blockDuration`; hits during a block still count, so
 * a client still over the limit in the current window is blocked again by its first hit after
 * the block. O(1) per hit, whatever the limit: @nestjs/throttler's own memory store keeps one
 * timestamp per hit and filters them all on every hit, which a high limit and one busy address
 * (a NAT, a bench) turn into milliseconds per request (issue 10). Idle keys are swept once a
 * minute.
 */
export class MemoryRateLimits {
  private readonly windows = new Map<string, Window>();
  private lastSweepAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastSweepAt = now();
  }

  get size(): number {
    return this.windows.size;
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): RateLimitHit {
    const now = this.now();
    if (now - this.lastSweepAt >= SWEEP_EVERY_MS) this.sweep(now);
    const id = `${key}:${throttlerName}`;
    let window = this.windows.get(id);
    if (!window) {
      window = { hits: 0, resetAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window);
    } else if (window.resetAt <= now) {
      window.hits = 0;
      window.resetAt = now + ttl;
    }
    window.hits++;
    let blockLeft = window.blockedUntil - now;
    if (blockLeft <= 0 && window.hits > limit) {
      window.blockedUntil = now + blockDuration;
      blockLeft = blockDuration;
    }
    const isBlocked = blockLeft > 0;
    return {
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.resetAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil(blockLeft / 1000) : 0,
    };
  }

  clear(): void {
    this.windows.clear();
  }

  private sweep(now: number): void {
    this.lastSweepAt = now;
    for (const [id, window] of this.windows) {
      if (window.resetAt <= now && window.blockedUntil <= now) this.windows.delete(id);
    }
  }
}
