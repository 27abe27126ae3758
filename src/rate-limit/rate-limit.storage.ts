import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { RedisConnection } from '../redis/redis-connection.js';
import { MemoryRateLimits } from './memory-rate-limits.js';

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Rate-limit counters: in Redis when REDIS_URL is set, so every instance draws on one budget
 * (@nest-lab/throttler-storage-redis: one atomic Lua script per hit), else in this process's
 * memory (counted the same way, O(1) per hit: see MemoryRateLimits). While Redis is down the
 * counters fall back to memory: limits then hold per instance instead of failing every login.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly memory = new MemoryRateLimits();
  private readonly shared: ThrottlerStorageRedisService | undefined;

  constructor(private readonly redis: RedisConnection) {
    // Handed our connection (with its key prefix), the library never opens or closes its own.
    if (redis.client) this.shared = new ThrottlerStorageRedisService(redis.client);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerRecord> {
    if (this.shared) {
      try {
        return await this.shared.increment(`ratelimit:${key}`, ttl, limit, blockDuration, throttlerName);
      } catch (error) {
        this.redis.warnFallback('rate limits', error);
      }
    }
    return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  onApplicationShutdown(): void {
    this.memory.clear();
  }
}
