import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { anomaliesOf, revokedOn, sessionStatus, startPair, type Pair } from '../support/anomalies.js';
import { startApp, type TestApp } from '../support/test-app.js';

// POST /oauth/signals and repeated_forbidden, on two instances sharing one database and Redis.
// The catch-up loop is slowed to a minute: a revocation the other instance enforces within a
// second came over the bus (the published bound).
const common = {
  REVOCATION_SYNC_INTERVAL_MS: '60000',
  TRUST_PROXY: '1',
  INTROSPECTION_CLIENTS: 'rs1:s3cret,rs2:0ther',
  ANOMALY_FORBIDDEN_THRESHOLD: '5',
};
const RS1 = { Authorization: `Basic ${Buffer.from('rs1:s3cret').toString('base64')}` };

let pair: Pair;
let a: TestApp;
let b: TestApp;
let admin: LoggedIn;

beforeAll(async () => {
  pair = await startPair(common);
  ({ a, b, admin } = pair);
});
afterAll(() => pair?.close());

const signal = (t: TestApp, body: Record<string, unknown>, auth: Record<string, string> = RS1) => t.http.post('/oauth/signals').set(auth).send(body);

/** Detections of Gatehouse's own 403s run detached: wait until the counter has seen them. */
async function settled(t: TestApp): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 150));
  await t.http.get('/health/live');
}

describe('POST /oauth/signals', () => {
  it('authenticates the client as introspection does, in API.md error shape with the OAuth members', async () => {
    const user = await createLoggedIn(a);
    const none = await a.http.post('/oauth/signals').send({ type: 'forbidden', sid: user.sessionId });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ statusCode: 401, code: 'invalid_client', error: 'invalid_client' });
    const wrong = await signal(a, { type: 'forbidden', sid: user.sessionId }, { Authorization: `Basic ${Buffer.from('rs1:nope').toString('base64')}` });
    expect(wrong.body.code).toBe('invalid_client');
    const userBearer = await signal(a, { type: 'forbidden', sid: user.sessionId }, user.bearer);
    expect(userBearer.status).toBe(403);
    expect(userBearer.body).toMatchObject({ code: 'forbidden', error: 'insufficient_scope' });
    // client_secret_post works as for introspection; an admin bearer too.
    expect((await a.http.post('/oauth/signals').send({ type: 'forbidden', sid: user.sessionId, client_id: 'rs2', client_secret: '0ther' })).status).toBe(202);
    expect((await signal(a, { type: 'forbidden', sid: user.sessionId }, admin.bearer)).status).toBe(202);
  });

  it('validates at the edge: type, exactly one of token | sid | sub, formats, unknown fields', async () => {
    const user = await createLoggedIn(a);
    const bad: Array<Record<string, unknown>> = [
      {},
      { sid: user.sessionId },
      { type: 'angry', sid: user.sessionId },
      { type: 'forbidden' },
      { type: 'forbidden', sid: user.sessionId, sub: user.id },
      { type: 'forbidden', sid: 'not-a-uuid' },
      { type: 'forbidden', sub: 42 },
      { type: 'forbidden', token: '' },
      { type: 'suspicious', sid: user.sessionId, detail: 'x'.repeat(501) },
      { type: 'suspicious', sid: user.sessionId, detail: 'nul\u0000' },
      { type: 'forbidden', sid: user.sessionId, extra: true },
    ];
    for (const body of bad) {
      const res = await signal(a, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed', error: 'invalid_request' });
      expect(res.body.details?.length, JSON.stringify(body)).toBeGreaterThan(0);
    }
    const array = await a.http.post('/oauth/signals').set(RS1).send([{ type: 'forbidden', sid: user.sessionId }]);
    expect(array.status).toBe(400);
    expect(await a.sql(`SELECT count(*)::int AS n FROM anomalies WHERE user_id = $1`, [user.id])).toEqual([{ n: 0 }]);
  });

  it('five forbidden signals for one token, spread over both instances, end that session everywhere within a second', async () => {
    const user = await createLoggedIn(a);
    const other = await loginAs(a, user);
    for (const t of [a, b, a, b]) expect((await signal(t, { type: 'forbidden', token: user.accessToken, detail: 'GET /reports' })).status).toBe(202);
    expect(await sessionStatus(b, user)).toBe('ok');
    expect(await anomaliesOf(pair, user.id)).toEqual([]);

    const started = Date.now();
    expect((await signal(b, { type: 'forbidden', token: user.accessToken })).status).toBe(202);
    await eventually(revokedOn(a, user), 1000, 5);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await sessionStatus(b, user)).toBe('token_revoked');
    expect(await sessionStatus(a, other)).toBe('ok');
    const refresh = await a.http.post('/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(refresh.body.code).toBe('session_revoked');

    const [anomaly] = await anomaliesOf(pair, user.id);
    expect(anomaly).toMatchObject({
      type: 'repeated_forbidden',
      sessionId: user.sessionId,
      action: 'revoke_session',
      status: 'open',
      details: { forbiddenCount: 5, windowSeconds: 300, lastReportedBy: 'rs1', sessionsRevoked: 1 },
    });
    const metrics = await b.http.get('/metrics');
    expect(metrics.text).toMatch(/gatehouse_signals_total\{type="forbidden",outcome="applied"\} [1-9]/);
  });

  it('forbidden signals naming sid or sub count too; one naming nothing live is accepted and counted as unmatched', async () => {
    const user = await createLoggedIn(a);
    for (let i = 0; i < 5; i++) expect((await signal(i % 2 ? a : b, { type: 'forbidden', sid: user.sessionId })).status).toBe(202);
    await eventually(revokedOn(b, user), 1000, 5);

    const unknown = await signal(a, { type: 'forbidden', sid: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual({});
    const forged = await signal(a, { type: 'suspicious', token: `${user.accessToken.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(202);
    const metrics = await a.http.get('/metrics');
    expect(metrics.text).toMatch(/gatehouse_signals_total\{type="forbidden",outcome="unmatched"\} [1-9]/);
    expect(metrics.text).toMatch(/gatehouse_signals_total\{type="suspicious",outcome="unmatched"\} [1-9]/);
  });

  it('a suspicious signal raises reported (revoke_session), the detail kept for review; dismissing leaves the session ended', async () => {
    const user = await createLoggedIn(a);
    const res = await signal(b, { type: 'suspicious', token: user.accessToken, detail: 'scraping 400 records a second' });
    expect(res.status).toBe(202);
    await eventually(revokedOn(a, user), 1000, 5);
    const [anomaly] = await anomaliesOf(pair, user.id);
    expect(anomaly).toMatchObject({
      type: 'reported',
      sessionId: user.sessionId,
      action: 'revoke_session',
      details: { reportedBy: 'rs1', detail: 'scraping 400 records a second', sessionsRevoked: 1 },
    });
    // The signal came from the resource server, not the user: no network of the user's is claimed.
    expect(anomaly.network).toBeUndefined();
    const dismissed = await a.http.post(`/admin/anomalies/${anomaly.id as string}/dismiss`).set(admin.bearer).send({});
    expect(dismissed.body.anomaly.status).toBe('dismissed');
    expect(await sessionStatus(a, user)).toBe('token_revoked');
  });
});

describe("repeated_forbidden from Gatehouse's own 403s", () => {
  it('a user hitting /admin/* five times across both instances loses that session everywhere; four times is nothing', async () => {
    const user = await createLoggedIn(a);
    const other = await loginAs(a, user);
    for (const t of [a, b, a, b]) expect((await t.http.get('/admin/users').set(user.bearer)).body.code).toBe('forbidden');
    await settled(a);
    await settled(b);
    expect(await sessionStatus(a, user)).toBe('ok');
    expect(await anomaliesOf(pair, user.id)).toEqual([]);

    expect((await b.http.get('/admin/anomalies').set(user.bearer)).status).toBe(403);
    await eventually(revokedOn(a, user), 2000, 5);
    expect(await sessionStatus(b, user)).toBe('token_revoked');
    expect(await sessionStatus(b, other)).toBe('ok');
    const [anomaly] = await anomaliesOf(pair, user.id);
    expect(anomaly).toMatchObject({ type: 'repeated_forbidden', sessionId: user.sessionId, details: { lastReportedBy: 'gatehouse' } });
  });

  it("Gatehouse's 403s and a resource server's forbidden signals add up in one count", async () => {
    const user = await createLoggedIn(a);
    for (let i = 0; i < 3; i++) await b.http.post('/oauth/introspect').set(user.bearer).send({ token: user.accessToken });
    await settled(b);
    expect(await sessionStatus(a, user)).toBe('ok');
    await signal(a, { type: 'forbidden', token: user.accessToken });
    expect(await sessionStatus(a, user)).toBe('ok');
    await signal(a, { type: 'forbidden', token: user.accessToken });
    await eventually(revokedOn(b, user), 1000, 5);
  });

  it('twenty forbidden answers racing over both instances raise one anomaly', async () => {
    const user = await createLoggedIn(a);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signal(i % 2 ? a : b, { type: 'forbidden', sid: user.sessionId })),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(20).fill(202));
    expect(await a.sql(`SELECT type::text, action::text FROM anomalies WHERE user_id = $1`, [user.id])).toEqual([
      { type: 'repeated_forbidden', action: 'revoke_session' },
    ]);
  });
});

describe('signal rate limit', () => {
  it('RATE_LIMIT_SIGNALS_PER_MINUTE per client: then 429 rate_limited with Retry-After; another client has its own budget', async () => {
    const t = await startApp({ databaseUrl: a.databaseUrl, env: { ...common, RATE_LIMIT_SIGNALS_PER_MINUTE: '3', REDIS_KEY_PREFIX: `limit-${Date.now()}:` } });
    try {
      const user = await createLoggedIn(t);
      for (let i = 0; i < 3; i++) expect((await signal(t, { type: 'suspicious', sub: user.id })).status).toBe(202);
      const limited = await signal(t, { type: 'suspicious', sub: user.id });
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ code: 'rate_limited', statusCode: 429 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      const rs2 = await signal(t, { type: 'suspicious', sub: user.id }, { Authorization: `Basic ${Buffer.from('rs2:0ther').toString('base64')}` });
      expect(rs2.status).toBe(202);
    } finally {
      await t.close();
    }
  });
});
