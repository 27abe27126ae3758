import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually, type LoggedIn } from '../support/factories.js';
import { startNode, type RunningApp } from '../support/node-process.js';
import { createTestDatabase, startApp, TEST_AUDIENCE, TEST_ISSUER, type TestApp } from '../support/test-app.js';

/**
 * Issue 11's resource-server test: the Express example (examples/express-resource-server, run
 * as `node server.mjs` on the workspace's built @gatehouse/verifier) with REPORT_FORBIDDEN=true
 * answers 403 five times for one token; Gatehouse's repeated_forbidden (default threshold 5,
 * repeated_forbidden=revoke_session) ends that session everywhere: on a second Gatehouse
 * instance, and at the resource server itself through the revocation feed.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/express-resource-server');

interface Health {
  signals: { sent: number; dropped: number } | null;
}

const get = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

describe('a resource server reporting its 403s (reportForbidden) ends the session everywhere', () => {
  let a: TestApp;
  let b: TestApp;
  let rs: RunningApp;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'packages/verifier/dist/index.js'))) {
      throw new Error('build the verifier first: npm run build:verifier (npm test does)');
    }
    const databaseUrl = await createTestDatabase();
    // The catch-up loop is slowed to a minute: what B enforces within a second came over the bus.
    // The test environment raises the forbidden threshold for every other suite: back to the default.
    const env = { INTROSPECTION_CLIENTS: 'rs1:s3cret', REVOCATION_SYNC_INTERVAL_MS: '60000', ANOMALY_FORBIDDEN_THRESHOLD: '5' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
    await a.app.listen({ port: 0, host: '127.0.0.1' });
    rs = await startNode('server.mjs', EXAMPLE, {
      GATEHOUSE_URL: `http://127.0.0.1:${(a.app.getHttpServer().address() as AddressInfo).port}`,
      GATEHOUSE_ISSUER: TEST_ISSUER,
      GATEHOUSE_AUDIENCE: TEST_AUDIENCE,
      GATEHOUSE_CLIENT_ID: 'rs1',
      GATEHOUSE_CLIENT_SECRET: 's3cret',
      REPORT_FORBIDDEN: 'true',
      PORT: '0',
      HOST: '127.0.0.1',
    });
  }, 120_000);

  afterAll(async () => {
    rs?.child.kill();
    await Promise.all([a?.close(), b?.close()]);
  });

  const signalsSent = async () => ((await (await fetch(`${rs.url}/health`)).json()) as Health).signals?.sent ?? 0;
  const forbidden = async (user: LoggedIn, times: number) => {
    for (let i = 0; i < times; i++) {
      const res = await get(`${rs.url}/admin/report`, user.accessToken);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'forbidden' });
    }
  };

  it('four 403s leave the session alone; the fifth revokes it on instance B and at the resource server', async () => {
    const bystander = await createLoggedIn(a);
    const user = await createLoggedIn(a);
    expect((await get(`${rs.url}/me`, user.accessToken)).status).toBe(200);

    // Below the threshold: Gatehouse has the four signals, and nothing happened.
    await forbidden(bystander, 4);
    await eventually(async () => expect(await signalsSent()).toBe(4), 10_000);
    await forbidden(user, 4);
    await eventually(async () => expect(await signalsSent()).toBe(8), 10_000);
    expect((await b.http.get('/auth/session').set(user.bearer)).status).toBe(200);
    expect((await get(`${rs.url}/me`, user.accessToken)).status).toBe(200);

    await forbidden(user, 1);
    await eventually(async () => expect(await signalsSent()).toBe(9), 10_000);
    const reported = Date.now();
    await eventually(async () => {
      const res = await b.http.get('/auth/session').set(user.bearer);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_revoked');
    }, 5000, 10);
    await eventually(async () => {
      const res = await get(`${rs.url}/me`, user.accessToken);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'token_revoked' });
    }, 5000, 10);
    console.info(`5th signal accepted → revoked on B and at the resource server within ${Date.now() - reported} ms`);
    // Published bound (API.md): a revocation reaches the other instance within a second.
    expect(Date.now() - reported).toBeLessThan(1000);

    // The session is over, not just its access token: its refresh token is dead on B as well.
    expect((await b.http.post('/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);
    const anomalies = await a.sql<{ type: string; action: string; session_id: string }>(
      'SELECT type, action, session_id FROM anomalies WHERE user_id = $1',
      [user.id],
    );
    expect(anomalies).toEqual([{ type: 'repeated_forbidden', action: 'revoke_session', session_id: user.sessionId }]);

    // The bystander's four stay four.
    expect((await b.http.get('/auth/session').set(bystander.bearer)).status).toBe(200);
    expect((await get(`${rs.url}/me`, bystander.accessToken)).status).toBe(200);
    expect(await a.sql('SELECT 1 FROM anomalies WHERE user_id = $1', [bystander.id])).toEqual([]);
  });
});
