import { Injectable } from '@nestjs/common';
import { RedisConnection } from '../redis/redis-connection.js';
import { AnomalyCountersRepository } from './anomaly-counters.repository.js';

/** INCR and, for the window's first hit, its expiry: one atomic step on Redis. */
const WINDOW_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

/**
 * Counters that must hold across instances (DESIGN.md "Anomalies"): in Redis when REDIS_URL is
 * set (one Lua script per hit), else, and while Redis is down, in PostgreSQL (one upsert).
 * A window starts with its first hit and lasts `windowSeconds`. Every hit reads back its own
 * count, so "the hit that reached the threshold" is exactly one hit per window, on whichever
 * instance: that is what lets racing instances raise one anomaly, not several.
 */
@Injectable()
export class AnomalyCounters {
  constructor(
    private readonly redis: RedisConnection,
    private readonly repository: AnomalyCountersRepository,
  ) {}

  async increment(key: string, windowSeconds: number): Promise<number> {
    const { client } = this.redis;
    if (client) {
      try {
        return Number(await client.eval(WINDOW_SCRIPT, 1, `anomaly:${key}`, windowSeconds * 1000));
      } catch (error) {
        this.redis.warnFallback('anomaly counters', error);
      }
    }
    return this.repository.increment(key, windowSeconds);
  }
}
