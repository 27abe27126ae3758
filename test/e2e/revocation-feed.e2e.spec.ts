import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, createUser, loginAs } from '../support/factories.js';
import { SseClient } from '../support/sse.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

const CLIENT = { Authorization: `Basic ${Buffer.from('rs1:s3cret').toString('base64')}` };

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

describe('GET /events/revocations', () => {
  let a: TestApp;
  let b: TestApp;
  let urlA: string;
  let urlB: string;
  const clients: SseClient[] = [];
  const connect = async (base: string, headers: Record<string, string> = {}) => {
    const client = await SseClient.connect(`${base}/events/revocations`, { ...CLIENT, ...headers });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = { INTROSPECTION_CLIENTS: 'rs1:s3cret', SSE_HEARTBEAT_SECONDS: '1', REVOCATION_SYNC_INTERVAL_MS: '60000' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
    urlA = await listen(a);
    urlB = await listen(b);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all([a?.close(), b?.close()]);
  });

  it('requires client authentication', async () => {
    const anonymous = await fetch(`${urlA}/events/revocations`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('invalid_client');
    const wrong = await fetch(`${urlA}/events/revocations`, { headers: { Authorization: `Basic ${Buffer.from('rs1:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const badId = await fetch(`${urlA}/events/revocations`, { headers: { ...CLIENT, 'Last-Event-ID': 'abc' } });
    expect(badId.status).toBe(400);
  });

  it('answers 400 validation_failed for a resume id that is repeated or past the id range, never a 500 or a dead stream', async () => {
    for (const [path, headers] of [
      ['/events/revocations?lastEventId=1&lastEventId=2', {}],
      ['/events/revocations', { 'Last-Event-ID': '9999999999999999999' }],
      ['/events/revocations?lastEventId=99999999999999999999', {}],
    ] as const) {
      const res = await fetch(`${urlA}${path}`, { headers: { ...CLIENT, ...headers } });
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('validation_failed');
    }
  });

  it('replays recent revocations to a new consumer, says ready, then streams live ones from any instance', async () => {
    const early = await createLoggedIn(a);
    await a.http.post('/auth/logout').set(early.bearer);
    const feed = await connect(urlB);
    expect(feed.status).toBe(200);
    await feed.waitFor((events) => events.some((e) => e.event === 'ready'));
    expect(feed.revocations().map((r) => r.data.sid)).toContain(early.sessionId);

    const user = await createLoggedIn(a);
    await a.http.post('/auth/logout').set(user.bearer);
    await feed.waitFor(() => feed.revocations().some((r) => r.data.sid === user.sessionId), 1000);
    const event = feed.revocations().find((r) => r.data.sid === user.sessionId)!;
    expect(event.data).toEqual({ sid: user.sessionId, reason: 'logout', revokedAt: expect.any(String) });
    expect(Number(event.id)).toBeGreaterThan(0);

    await a.http.post('/auth/logout-all').set((await loginAs(a, user)).bearer);
    await feed.waitFor(() => feed.revocations().some((r) => r.data.sub === user.id), 1000);
    expect(feed.revocations().find((r) => r.data.sub === user.id)!.data).toEqual({
      sub: user.id,
      notBefore: expect.any(String),
      reason: 'logout_all',
      revokedAt: expect.any(String),
    });
    const ids = feed.revocations().map((r) => BigInt(r.id));
    expect([...ids].sort((x, y) => (x < y ? -1 : 1))).toEqual(ids);
  });

  it('resumes after a disconnect with Last-Event-ID and misses nothing', async () => {
    const feed = await connect(urlA);
    await feed.waitFor((events) => events.some((e) => e.event === 'ready'));
    const ready = feed.events.find((e) => e.event === 'ready')!;
    await feed.close();

    const user = await createUser(a);
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await loginAs(i % 2 ? a : b, user));
    await Promise.all(sessions.map((s, i) => (i % 2 ? b : a).http.post('/auth/logout').set(s.bearer)));

    const resumed = await connect(urlB, { 'Last-Event-ID': ready.id! });
    await resumed.waitFor((events) => events.some((e) => e.event === 'ready'));
    const replayed = resumed.revocations();
    expect(replayed.map((r) => r.data.sid).sort()).toEqual(sessions.map((s) => s.sessionId).sort());
    const stored = await a.sql<{ id: string }>(`SELECT id::text FROM revocation_events WHERE id > $1 ORDER BY id`, [ready.id]);
    expect(replayed.map((r) => r.id)).toEqual(stored.map((row) => row.id));
  });

  it('a stream opened with an admin bearer ends when that bearer is revoked', async () => {
    const admin = await createLoggedIn(a, { role: 'admin' });
    const feed = await connect(urlA, { Authorization: `Bearer ${admin.accessToken}` });
    expect(feed.status).toBe(200);
    await feed.waitFor((events) => events.some((e) => e.event === 'ready'));
    const ended = feed.finished();
    await a.http.post('/auth/logout').set(admin.bearer);
    await expect(Promise.race([ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('open'), 3000))])).resolves.toBe('ended');
    // It saw its own revocation before the stream closed.
    expect(feed.revocations().map((r) => r.data.sid)).toContain(admin.sessionId);
    const user = await createLoggedIn(a);
    const asUser = await fetch(`${urlA}/events/revocations`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
    expect(asUser.status).toBe(403);
  });

  it('sends heartbeats', async () => {
    const feed = await connect(urlA);
    await feed.waitFor(() => feed.comments >= 1, 3000);
  });
});
