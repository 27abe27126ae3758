import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../src/app.module.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { AppConfig } from '../../src/config/app-config.js';
import type { IssuedTokens } from '../../src/sessions/sessions.service.js';
import { UsersService } from '../../src/users/users.service.js';
import { withClient } from './databases.js';
import { createTestDatabase, testEnv } from './test-app.js';

/**
 * The service tier: the application's providers on a real database, without HTTP (no Fastify,
 * no Swagger, no supertest). For rules whose HTTP shape the e2e suites already cover, so each
 * case costs a few queries instead of a few requests. No Redis unless a spec asks for it.
 */
export interface TestServices {
  config: AppConfig;
  databaseUrl: string;
  get<T>(type: abstract new (...args: never[]) => T): T;
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Registers a user and logs in once. */
  login(options?: { password?: string }): Promise<IssuedTokens & { email: string; password: string }>;
  close(): Promise<void>;
}

export async function startServices(options: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<TestServices> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const config = AppConfig.fromEnv(testEnv(databaseUrl, { REDIS_URL: '', ...options.env }));
  const context: INestApplicationContext = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: false,
    abortOnError: false,
  });
  await context.init();
  const services: TestServices = {
    config,
    databaseUrl,
    get: (type) => context.get(type),
    sql: (text, values) => withClient(databaseUrl, async (client) => (await client.query(text, values)).rows),
    login: async ({ password = `pw-${randomUUID()}` } = {}) => {
      const email = `svc-${randomUUID().slice(0, 12)}@example.test`;
      await context.get(UsersService).register({ email, password }, {});
      return { ...(await context.get(AuthService).login(email, password, {})), email, password };
    },
    close: () => context.close(),
  };
  return services;
}

/** The error code a rejected promise carries ('resolved' if it did not reject). */
export function rejectionCode(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error as { code?: string } | undefined)?.code ?? String(error),
  );
}
