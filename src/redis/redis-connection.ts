import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

const WARN_EVERY_MS = 30_000;

/**
 * The shared Redis connection for counters (rate limits, account lockouts), when REDIS_URL is
 * set. Every key it touches starts with REDIS_KEY_PREFIX, so deployments (and test databases)
 * sharing one Redis never see each other's counters. Commands fail fast while Redis is down
 * (no offline queue): callers fall back to their local or database store rather than wait.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private lastWarnAt = 0;
  readonly client: Redis | undefined;

  constructor(config: AppConfig) {
    const url = config.get('REDIS_URL');
    if (!url) return;
    this.client = new Redis(url, {
      keyPrefix: config.get('REDIS_KEY_PREFIX'),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', () => undefined);
  }

  /** Waits briefly for Redis at boot; never holds boot up (the fallbacks cover its absence). */
  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    const connected = this.client.connect().catch(() => undefined);
    await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  /** Logs that a Redis-backed counter fell back to its other store (at most every 30 s). */
  warnFallback(what: string, error: unknown): void {
    if (Date.now() - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = Date.now();
    this.logger.warn(`${what}: Redis unavailable (${(error as Error).message}); using the fallback store`);
  }

  onApplicationShutdown(): void {
    this.client?.disconnect();
  }
}
