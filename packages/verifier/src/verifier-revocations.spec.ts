import { describe, expect, it, vi } from 'vitest';
import { useFakeGatehouse } from './testing/fake-gatehouse.fixture.js';
import { outcome, within } from './testing/outcomes.js';

const fx = useFakeGatehouse();
const { newVerifier, startVerifier } = fx;

describe('revocations from the SSE feed', () => {
  it('authenticates with HTTP Basic and starts without Last-Event-ID', async () => {
    const sut = await startVerifier();

    expect(fx.gatehouse.feedRequests).toEqual([{ lastEventId: undefined, authorization: `Basic ${Buffer.from('rs1:s3cret').toString('base64')}` }]);
    expect(sut.status().feed).toMatchObject({ transport: 'sse', state: 'live', connections: 1 });
  });

  it('a fresh verifier applies revocations made before it started (the replay)', async () => {
    const token = fx.gatehouse.sign({ sid: 'revoked-earlier' });
    fx.gatehouse.revoke({ sid: 'revoked-earlier' });

    const sut = await startVerifier();

    expect(await outcome(sut.verify(token))).toBe('token_revoked');
  });

  it('rejects a session revoked on the stream within a second, also for a cached token', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign({ sid: 'session-a' });
    const other = fx.gatehouse.sign({ sid: 'session-b' });
    await sut.verify(token);
    await sut.verify(token); // now served from the verified-token cache

    fx.gatehouse.revoke({ sid: 'session-a' }, 'logout');

    const elapsed = await within(1000, async () => (await outcome(sut.verify(token))) === 'token_revoked');
    expect(elapsed).toBeLessThan(1000);
    expect(await outcome(sut.verify(other))).toBe('accepted');
  });

  it('applies a user-wide revocation to sessions authenticated before notBefore, sparing exceptSid', async () => {
    const sut = await startVerifier();
    const authTime = Date.now() / 1000 - 60;
    const old = fx.gatehouse.sign({ sub: 'user-1', sid: 'old', auth_time: authTime });
    const kept = fx.gatehouse.sign({ sub: 'user-1', sid: 'current', auth_time: authTime });
    const otherUser = fx.gatehouse.sign({ sub: 'user-2', sid: 'x', auth_time: authTime });
    await sut.verify(old);

    fx.gatehouse.revoke({ sub: 'user-1', notBefore: new Date(), exceptSid: 'current' }, 'password_change');
    await within(1000, async () => (await outcome(sut.verify(old))) === 'token_revoked');
    const newLogin = fx.gatehouse.sign({ sub: 'user-1', sid: 'new', auth_time: Date.now() / 1000 + 0.001 });

    expect(await outcome(sut.verify(kept))).toBe('accepted');
    expect(await outcome(sut.verify(otherUser))).toBe('accepted');
    expect(await outcome(sut.verify(newLogin))).toBe('accepted');
  });

  it('compares auth_time with millisecond precision against notBefore', async () => {
    const sut = await startVerifier();
    const notBefore = new Date();
    const before = fx.gatehouse.sign({ sub: 'u', sid: 'before', auth_time: (notBefore.getTime() - 1) / 1000 });
    const at = fx.gatehouse.sign({ sub: 'u', sid: 'at', auth_time: notBefore.getTime() / 1000 });

    fx.gatehouse.revoke({ sub: 'u', notBefore });
    await within(1000, () => sut.status().revocations === 1);

    expect(await outcome(sut.verify(before))).toBe('token_revoked');
    expect(await outcome(sut.verify(at))).toBe('accepted');
  });

  it('rejects every token of a revoked key, cached or not, and keeps accepting the others', async () => {
    const sut = await startVerifier({ jwksCooldownMs: 50 });
    const compromised = fx.gatehouse.activeKid;
    const cached = fx.gatehouse.sign();
    await sut.verify(cached);
    const fresh = fx.gatehouse.sign();
    const next = fx.gatehouse.addKey();

    fx.gatehouse.revoke({ kid: compromised }, 'key_revoked');
    await within(1000, async () => (await outcome(sut.verify(cached))) === 'token_revoked');

    expect(await outcome(sut.verify(fresh))).toBe('token_revoked');
    expect(await outcome(sut.verify(fx.gatehouse.sign({}, { kid: next })))).toBe('accepted');
    expect(sut.status().jwks.kids).not.toContain(compromised);
  });

  it('keeps rejecting a cached token of a revoked key once the revocation has aged out of memory', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const sut = await startVerifier({ accessTokenTtlSeconds: 60, clockToleranceSeconds: 0 });
    const compromised = fx.gatehouse.activeKid;
    // Signed by a Gatehouse instance that had not heard of the revocation yet, 30 s after it was
    // made, and the revocation reached this verifier late: the token outlives the revocation's
    // time in memory (TTL + leeway after it was made) by 30 s.
    const late = fx.gatehouse.sign({ exp: Math.floor(Date.now() / 1000) + 60 });
    expect(await outcome(sut.verify(late))).toBe('accepted');
    fx.gatehouse.addKey();
    fx.gatehouse.revoke({ kid: compromised }, 'key_revoked', new Date(Date.now() - 30_000));
    await within(1000, async () => (await outcome(sut.verify(late))) === 'token_revoked');

    // 40 s on, the revocation list has pruned the kid; the token lives 20 s more.
    vi.advanceTimersByTime(40_000);
    expect(sut.status().revocations).toBe(0);
    expect(await outcome(sut.verify(late))).toBe('token_revoked');
  });

  it('reconnects after the stream drops, sends Last-Event-ID and applies what it missed', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign({ sid: 'missed-while-down' });
    await sut.verify(token);
    const lastSeen = fx.gatehouse.revoke({ sid: 'someone-else' });
    await within(1000, () => sut.status().feed.lastEventId === lastSeen);

    fx.gatehouse.feedStatus = 503;
    fx.gatehouse.dropStreams();
    await within(1000, () => fx.gatehouse.feedRequests.length >= 2);
    fx.gatehouse.revoke({ sid: 'missed-while-down' }); // no stream is open: only the backlog has it
    fx.gatehouse.feedStatus = 200;

    await within(2000, async () => (await outcome(sut.verify(token))) === 'token_revoked');
    const resumed = fx.gatehouse.feedRequests.filter((request) => request.lastEventId !== undefined);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((request) => request.lastEventId === lastSeen)).toBe(true);
    expect(sut.status().feed).toMatchObject({ state: 'live', connections: 2 });
  });

  it('resyncs from scratch when Gatehouse refuses its Last-Event-ID (409), keeping nothing stale', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign({ sid: 'revoked-after-restore' });
    fx.gatehouse.revoke({ sid: 'someone' });
    await within(1000, () => sut.status().feed.lastEventId !== null);

    fx.gatehouse.refuseCursors = true;
    fx.gatehouse.dropStreams();
    fx.gatehouse.revoke({ sid: 'revoked-after-restore' }); // only a full replay delivers it

    await within(3000, async () => (await outcome(sut.verify(token))) === 'token_revoked');
    const afterRefusal = fx.gatehouse.feedRequests.slice(1);
    expect(afterRefusal.some((request) => request.lastEventId !== undefined)).toBe(true);
    expect(afterRefusal.at(-1)!.lastEventId).toBeUndefined();
    expect(sut.status().feed.state).toBe('live');
  });

  it('resumes from the cursor of the ready event when the replay was empty', async () => {
    fx.gatehouse.revoke({ sid: 'ancient' });
    fx.gatehouse.revoke({ sid: 'older' });
    const sut = await startVerifier();

    fx.gatehouse.dropStreams();
    await within(1000, () => fx.gatehouse.feedRequests.length === 2 && sut.status().feed.state === 'live');

    expect(fx.gatehouse.feedRequests[1].lastEventId).toBe('2');
  });

  it('treats a silent stream as dead after heartbeatTimeoutMs and reconnects; pings keep it alive', async () => {
    const options = { url: fx.gatehouse.feedUrl, clientId: 'rs1', clientSecret: 's3cret', heartbeatTimeoutMs: 300, reconnectDelayMs: 20 };
    const sut = await startVerifier({ revocations: options });
    const pinger = setInterval(() => fx.gatehouse.ping(), 100);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(fx.gatehouse.feedRequests).toHaveLength(1);

    clearInterval(pinger);
    await within(1500, () => fx.gatehouse.feedRequests.length >= 2);
    expect(sut.status().feed.lastError).toMatch(/no data on the revocation feed for 300 ms/);
  });

  it('ignores a malformed event and keeps following the stream', async () => {
    const sut = await startVerifier();
    const token = fx.gatehouse.sign({ sid: 'after-garbage' });
    fx.gatehouse.revoke({ sub: 'no-not-before' } as unknown as { sid: string });
    fx.gatehouse.revoke({ sid: 'after-garbage' });

    await within(1000, async () => (await outcome(sut.verify(token))) === 'token_revoked');
    expect(fx.gatehouse.feedRequests).toHaveLength(1);
  });
});

describe('start-up and feed loss', () => {
  it('holds verifications until the replay is complete', async () => {
    fx.gatehouse.withholdReady = true;
    fx.gatehouse.revoke({ sid: 'in-replay' });
    const sut = newVerifier();
    const pending = outcome(sut.verify(fx.gatehouse.sign({ sid: 'in-replay' })));
    await within(1000, () => fx.gatehouse.openStreams === 1);
    expect(sut.status().feed.state).toBe('connecting');

    fx.gatehouse.releaseReady();

    expect(await pending).toBe('token_revoked');
  });

  it('answers service_unavailable when the feed never becomes ready within startupTimeoutMs', async () => {
    fx.gatehouse.withholdReady = true;
    // The wait is counted from the verifier's creation, so the clock starts before it.
    const started = Date.now();
    const sut = newVerifier({ startupTimeoutMs: 200 });

    expect(await outcome(sut.verify(fx.gatehouse.sign()))).toBe('service_unavailable');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    // Past the start-up window, a verifier that never got its replay answers at once.
    const later = Date.now();
    expect(await outcome(sut.verify(fx.gatehouse.sign()))).toBe('service_unavailable');
    expect(Date.now() - later).toBeLessThan(50);
    await expect(sut.ready()).rejects.toMatchObject({ code: 'service_unavailable' });
  });

  it('reports wrong client credentials', async () => {
    const options = { url: fx.gatehouse.feedUrl, clientId: 'rs1', clientSecret: 'wrong', reconnectDelayMs: 20 };
    const warnings: string[] = [];
    const sut = newVerifier({ revocations: options, startupTimeoutMs: 300, logger: { warn: (message) => warnings.push(message) } });

    await expect(sut.ready()).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(sut.status().feed).toMatchObject({ state: 'connecting', connections: 0 });
    expect(sut.status().feed.lastError).toMatch(/HTTP 401/);
    expect(fx.gatehouse.feedRequests.length).toBeGreaterThan(1);
    // Logged once, not once per retry.
    expect(warnings).toEqual([expect.stringMatching(/not connected yet .*HTTP 401 \(check clientId\/clientSecret\)/)]);
  });

  it("onFeedLoss 'reject': rejects at once while the feed is down, accepts again when it is back", async () => {
    const log: string[] = [];
    const sut = await startVerifier({ onFeedLoss: 'reject', logger: { warn: (m) => log.push(m), info: (m) => log.push(m) } });
    const token = fx.gatehouse.sign();
    await sut.verify(token);

    fx.gatehouse.feedStatus = 503;
    fx.gatehouse.dropStreams();
    await within(1000, () => sut.status().feed.state === 'lost');

    expect(await outcome(sut.verify(token))).toBe('service_unavailable');
    expect(await outcome(sut.verify(fx.gatehouse.sign()))).toBe('service_unavailable');
    expect(sut.status()).toMatchObject({ accepting: false, acceptingUntil: null });

    fx.gatehouse.feedStatus = 200;
    await within(2000, () => sut.status().feed.state === 'live');
    expect(await outcome(sut.verify(token))).toBe('accepted');
    expect(log).toEqual([
      expect.stringMatching(/^revocation feed lost \(.+\); rejecting every token until it is back$/),
      expect.stringMatching(/^revocation feed is back \(lost for \d+ ms\)$/),
    ]);
  });

  it("onFeedLoss 'accept': accepts for at most the access TTL after the loss, then rejects", async () => {
    const sut = await startVerifier({ onFeedLoss: 'accept', accessTokenTtlSeconds: 60 });
    // Lifetime = the TTL, so the token is still unexpired (leeway 5 s) when the grace ends.
    const token = fx.gatehouse.sign({ exp: Math.floor(Date.now() / 1000) + 60 });
    const revoked = fx.gatehouse.sign({ sid: 'revoked-before-loss', exp: Math.floor(Date.now() / 1000) + 60 });
    fx.gatehouse.revoke({ sid: 'revoked-before-loss' });
    await within(1000, () => sut.status().revocations === 1);

    fx.gatehouse.feedStatus = 503;
    fx.gatehouse.dropStreams();
    await within(1000, () => sut.status().feed.state === 'lost');
    const status = sut.status();
    const lostAt = Date.parse(status.feed.lostSince!);

    expect(status).toMatchObject({ accepting: true, acceptingUntil: new Date(lostAt + 60_000).toISOString() });
    expect(await outcome(sut.verify(token))).toBe('accepted');
    expect(await outcome(sut.verify(revoked))).toBe('token_revoked');

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(lostAt + 59_000);
    expect(await outcome(sut.verify(token))).toBe('accepted');
    vi.setSystemTime(lostAt + 61_000);
    expect(await outcome(sut.verify(token))).toBe('service_unavailable');
    expect(sut.status().accepting).toBe(false);
    vi.useRealTimers();

    fx.gatehouse.feedStatus = 200;
    await within(2000, () => sut.status().feed.state === 'live');
    expect(await outcome(sut.verify(token))).toBe('accepted');
  });

  it('rejects after close() and stops reconnecting', async () => {
    const sut = await startVerifier();
    await sut.close();

    expect(await outcome(sut.verify(fx.gatehouse.sign()))).toBe('service_unavailable');
    expect(sut.status().feed.state).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fx.gatehouse.feedRequests).toHaveLength(1);
    expect(fx.gatehouse.openStreams).toBe(0);
  });
});
