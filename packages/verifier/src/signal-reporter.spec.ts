import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FAKE_CLIENT } from './testing/fake-gatehouse.js';
import { useFakeGatehouse } from './testing/fake-gatehouse.fixture.js';
import { within } from './testing/outcomes.js';
import type { SignalsOptions } from './verifier.options.js';

const fx = useFakeGatehouse();
const claims = { sid: '6f1c1d9e-3a55-4d0c-9a43-0c8f2d6b7e11', sub: '0b6e8f3a-1c2d-4e5f-8a9b-7c6d5e4f3a2b' };
const basic = `Basic ${Buffer.from(`${FAKE_CLIENT.clientId}:${FAKE_CLIENT.clientSecret}`).toString('base64')}`;

const withSignals = (signals: SignalsOptions) => fx.startVerifier({ signals: { flushIntervalMs: 10, retryDelayMs: 20, ...signals } });

/** A port nothing listens on: Gatehouse unreachable. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('verifier.report: signals to POST /oauth/signals', () => {
  it('sends the session by sid with the feed’s client credentials, never the token or the sub', async () => {
    const verifier = await withSignals({});
    expect(verifier.report(claims, 'suspicious', '  looked like a scraper  ')).toBe(true);
    await within(5000, () => verifier.status().signals?.sent === 1);
    expect(fx.gatehouse.signals.received).toEqual([
      {
        authorization: basic,
        contentType: 'application/json',
        body: { type: 'suspicious', sid: claims.sid, detail: 'looked like a scraper' },
        at: expect.any(Number),
      },
    ]);
    // Only the user when there is no session to name; no empty detail (Gatehouse refuses one).
    verifier.report({ sub: claims.sub }, 'forbidden', '   ');
    await within(5000, () => verifier.status().signals?.sent === 2);
    expect(fx.gatehouse.signals.received[1].body).toEqual({ type: 'forbidden', sub: claims.sub });
  });

  it('refuses calls that could never be sent, and is off without credentials', async () => {
    const verifier = await withSignals({});
    expect(() => verifier.report(claims, 'weird' as never)).toThrow(TypeError);
    expect(() => verifier.report({}, 'forbidden')).toThrow(TypeError);
    const off = await fx.startVerifier({ signals: false });
    expect(off.canReport).toBe(false);
    expect(off.status().signals).toBeNull();
    expect(() => off.report(claims, 'forbidden')).toThrow(/signals are off/);
    // Explicit options must be complete: the Redis feed has no client credentials to borrow.
    expect(() => fx.newVerifier({ revocations: { redisUrl: 'redis://127.0.0.1:1' }, signals: {} })).toThrow(/signals/);
  });

  it('batches: nothing leaves before the flush interval, then the burst goes out at most maxConcurrent at a time', async () => {
    const verifier = await withSignals({ flushIntervalMs: 300, maxConcurrent: 2 });
    fx.gatehouse.signals.hold = true;
    const reportedAt = Date.now();
    for (let i = 0; i < 6; i++) expect(verifier.report(claims, 'forbidden', `403 #${i}`)).toBe(true);
    expect(verifier.status().signals).toMatchObject({ queued: 6, inFlight: 0 });
    await within(5000, () => fx.gatehouse.signals.received.length === 2);
    expect(fx.gatehouse.signals.received[0].at - reportedAt).toBeGreaterThanOrEqual(290);
    expect(verifier.status().signals).toMatchObject({ queued: 4, inFlight: 2 });
    fx.gatehouse.signals.releaseHeld();
    await within(5000, () => verifier.status().signals?.sent === 6);
    expect(fx.gatehouse.signals.maxInFlight).toBe(2);
    expect(fx.gatehouse.signals.received.map((signal) => signal.body.detail)).toEqual(['403 #0', '403 #1', '403 #2', '403 #3', '403 #4', '403 #5']);
  });

  it('is bounded: beyond maxQueued (waiting or in flight) signals are dropped and counted, report never waits', async () => {
    const verifier = await withSignals({ maxQueued: 5, maxConcurrent: 2 });
    fx.gatehouse.signals.hold = true;
    const results = Array.from({ length: 8 }, () => verifier.report(claims, 'forbidden'));
    expect(results).toEqual([true, true, true, true, true, false, false, false]);
    await within(5000, () => fx.gatehouse.signals.received.length === 2);
    // Still full while two hang in flight and three wait.
    expect(verifier.report(claims, 'forbidden')).toBe(false);
    expect(verifier.status().signals).toMatchObject({ queued: 3, inFlight: 2, dropped: 4, droppedBy: { overflow: 4 } });
    fx.gatehouse.signals.releaseHeld();
    await within(5000, () => verifier.status().signals?.sent === 5);
    expect(verifier.report(claims, 'forbidden')).toBe(true);
  });

  it('retries a 503 with a doubling backoff, maxAttempts times, then drops it as failed', async () => {
    const verifier = await withSignals({ maxAttempts: 3, retryDelayMs: 100 });
    fx.gatehouse.signals.status = 503;
    verifier.report(claims, 'forbidden');
    await within(10_000, () => verifier.status().signals?.droppedBy.failed === 1);
    const arrivals = fx.gatehouse.signals.received.map((signal) => signal.at);
    expect(arrivals).toHaveLength(3);
    // Backoff with ±20 % jitter: ≥ 80 ms, then ≥ 160 ms.
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(75);
    expect(arrivals[2] - arrivals[1]).toBeGreaterThanOrEqual(155);
    expect(verifier.status().signals).toMatchObject({ sent: 0, dropped: 1, lastError: expect.stringContaining('HTTP 503') });
    // Back up: the next signal goes through, nothing else is resent.
    fx.gatehouse.signals.status = 202;
    await within(5000, () => verifier.status().signals?.retryingAt === null);
    verifier.report(claims, 'forbidden');
    await within(5000, () => verifier.status().signals?.sent === 1);
    expect(fx.gatehouse.signals.received).toHaveLength(4);
  });

  it('honours Retry-After on 429 (the per-client signal budget)', async () => {
    const verifier = await withSignals({ retryDelayMs: 10 });
    fx.gatehouse.signals.status = 429;
    fx.gatehouse.signals.retryAfter = '1';
    verifier.report(claims, 'forbidden');
    await within(5000, () => fx.gatehouse.signals.received.length === 1);
    fx.gatehouse.signals.status = 202;
    await within(10_000, () => verifier.status().signals?.sent === 1);
    const [first, second] = fx.gatehouse.signals.received;
    expect(second.at - first.at).toBeGreaterThanOrEqual(990);
  });

  it('never retries a refusal such as 401: dropped as rejected after one request', async () => {
    const verifier = await withSignals({ retryDelayMs: 10 });
    fx.gatehouse.signals.status = 401;
    verifier.report(claims, 'forbidden');
    await within(5000, () => verifier.status().signals?.droppedBy.rejected === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fx.gatehouse.signals.received).toHaveLength(1);
    expect(verifier.status().signals?.lastError).toMatch(/401.*clientId/);
  });

  it('drops what cannot reach an unreachable Gatehouse, counted, within the bounds', async () => {
    const port = await closedPort();
    const verifier = await withSignals({ url: `http://127.0.0.1:${port}/oauth/signals`, maxAttempts: 2, maxQueued: 3 });
    for (let i = 0; i < 5; i++) verifier.report(claims, 'forbidden');
    await within(10_000, () => verifier.status().signals?.droppedBy.failed === 3);
    expect(verifier.status().signals).toMatchObject({
      queued: 0,
      inFlight: 0,
      sent: 0,
      dropped: 5,
      droppedBy: { overflow: 2, failed: 3, rejected: 0, shutdown: 0 },
      lastError: expect.stringMatching(/fetch failed|ECONNREFUSED/),
    });
  });

  it('close() sends what is queued first', async () => {
    const verifier = await withSignals({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) verifier.report(claims, 'forbidden');
    await verifier.close();
    expect(fx.gatehouse.signals.received).toHaveLength(3);
    expect(verifier.status().signals).toMatchObject({ sent: 3, dropped: 0 });
    expect(verifier.report(claims, 'forbidden')).toBe(false);
    expect(verifier.status().signals?.droppedBy.shutdown).toBe(1);
  });

  it('close() gives up after closeTimeoutMs when Gatehouse hangs, and drops the rest as shutdown', async () => {
    const verifier = await withSignals({ closeTimeoutMs: 300, maxConcurrent: 1, timeoutMs: 60_000 });
    fx.gatehouse.signals.hold = true;
    for (let i = 0; i < 3; i++) verifier.report(claims, 'forbidden');
    await within(5000, () => fx.gatehouse.signals.received.length === 1);
    const started = Date.now();
    await verifier.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(5000);
    expect(verifier.status().signals).toMatchObject({ queued: 0, inFlight: 0, sent: 0, droppedBy: { shutdown: 3 } });
  });
});
