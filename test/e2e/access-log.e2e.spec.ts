import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { PinoLogger } from '../../src/common/pino-logger.js';
import { AppConfig } from '../../src/config/app-config.js';
import { createLoggedIn, eventually } from '../support/factories.js';
import { createTestDatabase, testEnv, type TestApp } from '../support/test-app.js';

/** An app whose log lines (pino JSON) are collected instead of written to stdout. */
async function appWithLog(databaseUrl: string, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const logger = new PinoLogger('info', { write: (line: string) => void lines.push(line) });
  const config = AppConfig.fromEnv(testEnv(databaseUrl, { LOG_LEVEL: 'info', ...env }));
  const app: NestFastifyApplication = await createApp(config, logger);
  const http = supertest(app.getHttpServer());
  const accessLines = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.context === 'access');
  return { app, http, lines, accessLines };
}

describe('access log', () => {
  let sut: Awaited<ReturnType<typeof appWithLog>>;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    sut = await appWithLog(databaseUrl);
  });
  afterAll(async () => {
    await sut?.app.close();
  });

  it('writes one JSON line per request with method, route pattern, status, duration, request id and client IP', async () => {
    const t = { http: sut.http, sql: async () => [] } as unknown as TestApp;
    const user = await createLoggedIn(t);
    const res = await sut.http.get(`/admin/users/${randomUUID()}`).set(user.bearer).set('X-Request-Id', 'trace-abc.123');
    expect(res.status).toBe(403);
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    await eventually(async () => expect(sut.accessLines().some((entry) => entry.requestId === 'trace-abc.123')).toBe(true), 2000, 10);
    const line = sut.accessLines().find((entry) => entry.requestId === 'trace-abc.123')!;
    expect(line).toEqual({
      level: 30,
      time: expect.any(String),
      service: 'gatehouse',
      context: 'access',
      msg: 'request',
      requestId: 'trace-abc.123',
      method: 'GET',
      route: '/admin/users/:id',
      status: 403,
      durationMs: expect.any(Number),
      ip: '127.0.0.1',
    });
    // A request without (or with an unusable) X-Request-Id gets a fresh one, echoed back.
    const other = await sut.http.get('/health/live').set('X-Request-Id', 'no spaces\tor tabs please');
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs a token, cookie, password, body or query value', async () => {
    const t = { http: sut.http, sql: async () => [] } as unknown as TestApp;
    const user = await createLoggedIn(t);
    const secrets = [user.accessToken, user.refreshToken, user.password, 'query-secret-4f9a', 'cookie-secret-77b1'];
    await sut.http.get('/auth/session').set(user.bearer);
    await sut.http.get('/auth/session?access_token=query-secret-4f9a').set(user.bearer);
    await sut.http.post('/auth/refresh').set('Cookie', 'gatehouse_refresh=cookie-secret-77b1').set('X-Auth-Mode', 'cookie').send({});
    await sut.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    await sut.http.post('/oauth/introspect').type('form').send({ token: user.accessToken });
    await eventually(async () => expect(sut.accessLines().filter((entry) => entry.route === '/auth/refresh')).toHaveLength(2), 2000, 10);
    const everything = sut.lines.join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/authorization|cookie|bearer/i);
  });

  it('is off with ACCESS_LOG=false', async () => {
    const quiet = await appWithLog(databaseUrl, { ACCESS_LOG: 'false' });
    try {
      expect((await quiet.http.get('/health/live')).status).toBe(200);
      expect((await quiet.http.get('/health/live')).headers['x-request-id']).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(quiet.accessLines()).toEqual([]);
    } finally {
      await quiet.app.close();
    }
  });
});
