import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationFeed } from '../../src/oauth/revocation-feed.service.js';
import { createLoggedIn, eventually } from '../support/factories.js';
import { SseClient } from '../support/sse.js';
import { startApp, type TestApp } from '../support/test-app.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const RS1 = { Authorization: basic('rs1', 's3cret') };
const RS2 = { Authorization: basic('rs2', 'other') };

async function listen(t: TestApp): Promise<{ url: string; port: number }> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, port: address.port };
}

describe('revocation feed limits', () => {
  let t: TestApp;
  let url: string;
  let port: number;
  const clients: SseClient[] = [];
  const sockets: Socket[] = [];
  const open = async (headers: Record<string, string>) => {
    const client = await SseClient.connect(`${url}/events/revocations`, headers);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await startApp({
      env: {
        INTROSPECTION_CLIENTS: 'rs1:s3cret,rs2:other',
        SSE_MAX_STREAMS_PER_CLIENT: '3',
        SSE_SLOW_CONSUMER_SECONDS: '1',
        SSE_HEARTBEAT_SECONDS: '1',
      },
    });
    ({ url, port } = await listen(t));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(clients.map((client) => client.close()));
    await t?.close();
  });

  it('caps concurrent streams per client credential: 429 rate_limited with Retry-After beyond it', async () => {
    const first = [await open(RS1), await open(RS1), await open(RS1)];
    expect(first.map((client) => client.status)).toEqual([200, 200, 200]);
    const over = await fetch(`${url}/events/revocations`, { headers: RS1 });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await over.json()).toEqual({ statusCode: 429, code: 'rate_limited', message: expect.stringContaining('3') });
    // Another credential has its own allowance.
    expect((await open(RS2)).status).toBe(200);
    // A stream that ends gives its place back.
    await first[0].close();
    await eventually(async () => {
      const again = await fetch(`${url}/events/revocations`, { headers: RS1 });
      expect(again.status).toBe(200);
      await again.body?.cancel();
    }, 3000, 50);
    await Promise.all([...first, ...clients].map((client) => client.close()));
    await eventually(async () => expect(t.app.get(RevocationFeed).connections).toBe(0), 3000, 50);
  });

  it('refuses a Last-Event-ID above the newest event id with 409 resync_required (even after pruning)', async () => {
    const user = await createLoggedIn(t);
    await t.http.post('/auth/logout').set(user.bearer);
    const [{ newest }] = (await t.sql<{ newest: string }>(`SELECT max(id)::text AS newest FROM revocation_events`)) as [{ newest: string }];
    const ahead = await fetch(`${url}/events/revocations`, { headers: { ...RS1, 'Last-Event-ID': String(BigInt(newest) + 1n) } });
    expect(ahead.status).toBe(409);
    expect(await ahead.json()).toEqual({ statusCode: 409, code: 'resync_required', message: expect.stringMatching(/resync|without/i) });
    // Every stored event pruned: the newest id ever issued still counts, so a resume there is fine.
    await t.sql(`DELETE FROM revocation_events`);
    const atNewest = await open({ ...RS1, 'Last-Event-ID': newest });
    expect(atNewest.status).toBe(200);
    await atNewest.waitFor((events) => events.some((e) => e.event === 'ready'));
    await atNewest.close();
    // A refused stream does not count against the cap.
    await eventually(async () => expect(t.app.get(RevocationFeed).connections).toBe(0), 3000, 50);
  });

  it('drops a consumer that reads nothing once the connection is backed up, while a reading one gets everything', async () => {
    const feed = t.app.get(RevocationFeed);
    const droppedBefore = feed.slowConsumersDropped;
    const reader = await open(RS2);
    await reader.waitFor((events) => events.some((e) => e.event === 'ready'));

    // A consumer that sends its request and then never reads a byte.
    const stalled = connect({ host: '127.0.0.1', port });
    sockets.push(stalled);
    stalled.pause();
    stalled.write(`GET /events/revocations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${RS1.Authorization}\r\nAccept: text/event-stream\r\n\r\n`);
    await eventually(async () => expect(feed.connections).toBe(2), 3000, 20);

    // Far more than the socket buffers hold (about 5 MB of events), committed at once.
    await t.sql(`INSERT INTO revocation_events (session_id, user_id, reason) SELECT gen_random_uuid(), gen_random_uuid(), 'logout' FROM generate_series(1, 40000)`);
    const trigger = await createLoggedIn(t);
    await t.http.post('/auth/logout').set(trigger.bearer);

    await eventually(async () => expect(feed.slowConsumersDropped).toBe(droppedBefore + 1), 15_000, 100);
    await eventually(async () => expect(feed.connections).toBe(1), 3000, 20);
    // The reading consumer was never dropped and received every event, in order.
    await reader.waitFor((events) => events[events.length - 1]?.data.includes(trigger.sessionId) ?? false, 15_000);
    const ids = reader.events.filter((e) => e.event === 'revocation').map((e) => BigInt(e.id!));
    expect(ids.length).toBeGreaterThanOrEqual(40_001);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    // The server let go of the stalled connection (it sees the end once it reads again).
    const ended = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    stalled.resume();
    await ended;
    await reader.close();
    await t.sql(`DELETE FROM revocation_events WHERE reason = 'logout' AND session_id NOT IN (SELECT id FROM sessions)`);
  });

  it('never writes after the end: streams cut at random moments while events flow raise no error', async () => {
    const errors: unknown[] = [];
    const record = (error: unknown) => errors.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      const feeds = await Promise.all([open(RS1), open(RS1), open(RS2), open(RS2)]);
      const users = [];
      for (let i = 0; i < 8; i++) users.push(await createLoggedIn(t));
      await Promise.all(
        users.map(async (user, i) => {
          if (i % 2 === 0) void feeds[i / 2].close();
          await t.http.post('/auth/logout').set(user.bearer);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a heartbeat after the cuts
      await Promise.all(feeds.map((client) => client.close()));
      await eventually(async () => expect(t.app.get(RevocationFeed).connections).toBe(0), 3000, 50);
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
    expect(errors).toEqual([]);
  });
});

describe('shutting down with feed streams open', () => {
  it('ends every stream, so the server closes at once instead of waiting for its consumers', async () => {
    const t = await startApp({ env: { INTROSPECTION_CLIENTS: 'rs1:s3cret' } });
    const { url } = await listen(t);
    const feed = await SseClient.connect(`${url}/events/revocations`, RS1);
    await feed.waitFor((events) => events.some((e) => e.event === 'ready'));
    const started = Date.now();
    await t.close();
    await feed.finished();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
