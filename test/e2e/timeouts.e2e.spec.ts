import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenLocally, rawBody, rawRequest } from '../support/http-client.js';
import { startApp, type TestApp } from '../support/test-app.js';

// Issue 8 #10: a POST whose body never finished stayed open forever (Fastify turns Node's
// request timeout off). With REQUEST_TIMEOUT_MS the server cuts it, answering 408.

const TIMEOUT_MS = 1000;
/** Node checks the timeouts every min(1 s, timeout / 4); the rest is slack for a loaded machine. */
const CUT_WITHIN_MS = TIMEOUT_MS + 250 + 2000;
const CLIENT = `Basic ${Buffer.from('rs1:s3cret').toString('base64')}`;

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await startApp({ env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), INTROSPECTION_CLIENTS: 'rs1:s3cret', SSE_HEARTBEAT_SECONDS: '1' } });
  ({ port } = await listenLocally(t.app));
});

afterAll(async () => {
  await t?.close();
});

const HALF_A_LOGIN =
  'POST /auth/login HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{"email":"slow@example.test",';

describe('request timeouts', () => {
  it('a POST that sends its headers and half its body is answered 408 request_timeout and closed in time', async () => {
    const exchange = await rawRequest(port, HALF_A_LOGIN, CUT_WITHIN_MS + 3000);
    expect(exchange.closed, `still open after ${exchange.elapsedMs.toFixed(0)} ms`).toBe(true);
    expect(exchange.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(exchange.elapsedMs).toBeLessThan(CUT_WITHIN_MS);
    expect(exchange.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(rawBody(exchange.response)).toEqual({ statusCode: 408, code: 'request_timeout', message: expect.any(String) });
  });

  it('headers that never finish (slowloris) are cut as well', async () => {
    const exchange = await rawRequest(port, 'GET /health/live HTTP/1.1\r\nHost: gatehouse\r\nX-Slow: a', CUT_WITHIN_MS + 3000);
    expect(exchange.closed).toBe(true);
    expect(exchange.elapsedMs).toBeLessThan(CUT_WITHIN_MS);
  });

  it('a connection that never sends a byte is closed', async () => {
    const exchange = await rawRequest(port, '', CUT_WITHIN_MS + 3000);
    expect(exchange.closed).toBe(true);
    expect(exchange.elapsedMs).toBeLessThan(CUT_WITHIN_MS);
  });

  it('a slow body that completes within the limit is served normally', async () => {
    const body = JSON.stringify({ token: 'not-a-token' });
    const exchange = await new Promise<string>((resolve, reject) => {
      void import('node:net').then(({ connect }) => {
        const socket = connect({ port, host: '127.0.0.1' });
        let response = '';
        socket.on('data', (chunk) => {
          response += chunk.toString();
          if (response.includes('\r\n\r\n{')) {
            socket.destroy();
            resolve(response);
          }
        });
        socket.on('error', reject);
        socket.write(`POST /oauth/revoke HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
        setTimeout(() => socket.write(body.slice(5)), TIMEOUT_MS / 4);
      });
    });
    expect(exchange).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('responses are not limited: a revocation feed stream outlives the request timeout', async () => {
    const exchange = await rawRequest(port, `GET /events/revocations HTTP/1.1\r\nHost: gatehouse\r\nAuthorization: ${CLIENT}\r\n\r\n`, TIMEOUT_MS * 3);
    expect(exchange.closed).toBe(false);
    expect(exchange.response).toMatch(/^HTTP\/1\.1 200 /);
    expect(exchange.response).toContain('event: ready');
  });
});
