import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { inject } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { Clock } from '../../src/common/clock.js';
import { PinoLogger } from '../../src/common/pino-logger.js';
import { AppConfig } from '../../src/config/app-config.js';
import { createDatabase, withClient } from './databases.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
export const TEST_ISSUER = 'http://gatehouse.test';
export const TEST_AUDIENCE = 'gatehouse-test';

export interface TestApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof supertest>;
  config: AppConfig;
  databaseUrl: string;
  /** Runs SQL against this app's database (assertions on what changed). */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

let counter = 0;

/** A fresh database for one test file, cloned from the run's migrated template. */
export async function createTestDatabase(): Promise<string> {
  const name = `${inject('runPrefix')}_${process.pid}_${++counter}_${randomUUID().slice(0, 8)}`;
  return createDatabase(inject('databaseAdminUrl'), name, inject('templateDatabase'));
}

export function testEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: TEST_REDIS_URL,
    // One channel per database: suites running side by side never hear each other.
    REVOCATION_CHANNEL: `gatehouse-test:${new URL(databaseUrl).pathname.slice(1)}`,
    // Likewise every counter (rate limits, lockouts): instances of one test database share them.
    REDIS_KEY_PREFIX: `gatehouse-test:${new URL(databaseUrl).pathname.slice(1)}:`,
    REVOCATION_SYNC_INTERVAL_MS: '200',
    BCRYPT_COST: '4',
    KEY_ENCRYPTION_SECRET: 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_PASSWORD_PER_USER_PER_MINUTE: '100000',
    // Every test request comes from 127.0.0.1: one caller of the hashing queue (suites that
    // register many users at once); the flood suite sets its own cap.
    PASSWORD_HASH_QUEUE_PER_CALLER: '1000',
    // Suites that try wrong passwords on purpose must not lock their accounts; the lockout and
    // rate-limit suites set their own budgets.
    LOGIN_LOCKOUT_THRESHOLD: '100000',
    // Likewise suites that answer many 403s or wrong passwords to one session or account must not
    // raise anomalies (repeated_forbidden revokes the session); the anomaly suites set their own.
    ANOMALY_FORBIDDEN_THRESHOLD: '100000',
    ANOMALY_FAILED_LOGIN_THRESHOLD: '100000',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gatehouse-test-')),
    CORS_ORIGINS: 'https://app.example.test',
    LOG_LEVEL: 'silent',
    // Mail: short polls and backoff (a nudge delivers at once anyway); no SMTP unless a suite starts one.
    MAIL_POLL_INTERVAL_MS: '200',
    MAIL_RETRY_BASE_MS: '50',
    MAIL_RETRY_MAX_MS: '400',
    MAIL_FROM: 'Gatehouse Test <no-reply@gatehouse.test>',
    ...overrides,
  };
}

/** Servers log nothing in tests; TEST_LOG_LEVEL=error (or debug, ...) shows what they log. */
function serverLogger(): LoggerService | false {
  const level = process.env.TEST_LOG_LEVEL;
  return level ? new PinoLogger(level) : false;
}

export async function startApp(
  options: {
    databaseUrl?: string;
    env?: Record<string, string>;
    logger?: LoggerService;
    /** this instance's clock runs this far ahead (negative: behind) */
    clockOffsetMs?: number;
  } = {},
): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const config = AppConfig.fromEnv(testEnv(databaseUrl, options.env));
  const app = await createApp(config, options.logger ?? serverLogger(), { clock: new Clock(options.clockOffsetMs) });
  return {
    app,
    http: supertest(app.getHttpServer()),
    config,
    databaseUrl,
    sql: (text, values) => withClient(databaseUrl, async (client) => (await client.query(text, values)).rows),
    close: () => app.close(),
  };
}
