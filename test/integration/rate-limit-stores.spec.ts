import { randomUUID } from 'node:crypto';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimits } from '../../src/rate-limit/memory-rate-limits.js';
import { TEST_REDIS_URL } from '../support/test-app.js';

// The memory store stands in for Redis while Redis is down (and without REDIS_URL): it must count
// as the shared store counts, or a fallback would quietly change the limits.
describe('the memory rate-limit store counts as the Redis one does', () => {
  const redis = new Redis(TEST_REDIS_URL, { keyPrefix: `gatehouse-test:rate-limit-stores-${randomUUID()}:` });
  afterAll(() => redis.disconnect());

  it('the same answers hit by hit: passes, the block, hits counted during it, two throttlers apart', async () => {
    const shared = new ThrottlerStorageRedisService(redis);
    const memory = new MemoryRateLimits();
    const ttl = 30_000;
    const hits: Array<[key: string, name: string]> = [
      ...Array.from({ length: 6 }, () => ['ip-1', 'default'] as [string, string]),
      ['ip-2', 'default'],
      ['ip-1', 'user'],
      ['ip-1', 'default'],
    ];
    for (const [i, [key, name]] of hits.entries()) {
      const fromRedis = await shared.increment(key, ttl, 3, ttl, name);
      const fromMemory = memory.increment(key, ttl, 3, ttl, name);
      expect({ totalHits: fromMemory.totalHits, isBlocked: fromMemory.isBlocked }, `hit ${i}`).toEqual({
        totalHits: fromRedis.totalHits,
        isBlocked: fromRedis.isBlocked,
      });
      // Seconds, rounded up, from two clocks a few ms apart.
      expect(Math.abs(fromMemory.timeToExpire - fromRedis.timeToExpire), `hit ${i}`).toBeLessThanOrEqual(1);
      expect(Math.abs(fromMemory.timeToBlockExpire - fromRedis.timeToBlockExpire), `hit ${i}`).toBeLessThanOrEqual(1);
    }
  });

  it('both start over once the window and the block are over', async () => {
    const shared = new ThrottlerStorageRedisService(redis);
    const memory = new MemoryRateLimits();
    const ttl = 1000;
    const both = async () => [await shared.increment('ip', ttl, 2, ttl, 'default'), memory.increment('ip', ttl, 2, ttl, 'default')];
    for (let i = 0; i < 3; i++) await both();
    const [blockedRedis, blockedMemory] = await both();
    expect([blockedRedis.isBlocked, blockedMemory.isBlocked]).toEqual([true, true]);
    await new Promise((resolve) => setTimeout(resolve, 2.5 * ttl));
    const [redisAfter, memoryAfter] = await both();
    expect(memoryAfter).toEqual({ ...redisAfter, timeToExpire: memoryAfter.timeToExpire });
    expect(memoryAfter).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
  });
});
