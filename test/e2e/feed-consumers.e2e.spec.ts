import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

interface Received {
  type: string;
  id: string;
  data: unknown;
}

/**
 * The revocation feed as a consumer that does not use @gatehouse/verifier sees it, with the
 * widely used `eventsource` package, configured exactly as README "Revocation feed consumers"
 * shows: named events (`revocation`, `ready`), HTTP Basic through a custom fetch.
 */
describe('revocation feed with the eventsource package', () => {
  let t: TestApp;
  let feedUrl: string;
  const sources: EventSource[] = [];

  beforeAll(async () => {
    t = await startApp({ env: { INTROSPECTION_CLIENTS: 'rs1:s3cret' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    feedUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/events/revocations`;
  });
  afterAll(async () => {
    for (const source of sources) source.close();
    await t?.close();
  });

  /** The README snippet. */
  function follow(clientId: string, clientSecret: string): { source: EventSource; received: Received[]; errors: Array<{ code?: number }> } {
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const source = new EventSource(feedUrl, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, Authorization: basic } }),
    });
    sources.push(source);
    const received: Received[] = [];
    const errors: Array<{ code?: number }> = [];
    // Events are named: an onmessage handler alone would see none of them.
    for (const type of ['revocation', 'ready']) {
      source.addEventListener(type, (event) => received.push({ type, id: event.lastEventId, data: JSON.parse(event.data) }));
    }
    source.addEventListener('error', (error) => errors.push(error));
    return { source, received, errors };
  }

  async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('delivers ready, then a named revocation event with its id, to a client authenticated through fetch', async () => {
    const { received } = follow('rs1', 's3cret');
    await until(() => received.some((event) => event.type === 'ready'));
    const user = await createLoggedIn(t);

    expect((await t.http.post('/auth/logout').set(user.bearer)).status).toBe(204);

    await until(() => received.some((event) => event.type === 'revocation'));
    const revocation = received.find((event) => event.type === 'revocation')!;
    expect(revocation.data).toMatchObject({ sid: user.sessionId, reason: 'logout', revokedAt: expect.any(String) });
    expect(revocation.id).toMatch(/^[0-9]+$/);
  });

  it('wrong credentials: the stream fails with 401 and eventsource does not retry', async () => {
    const { source, errors } = follow('rs1', 'wrong');
    await until(() => errors.length > 0);
    expect(errors[0].code).toBe(401);
    expect(source.readyState).toBe(EventSource.CLOSED);
  });
});
