import { describe, expect, it } from 'vitest';
import { MemoryRateLimits } from './memory-rate-limits.js';

const MINUTE = 60_000;

function sut() {
  let now = 1_000_000;
  const limits = new MemoryRateLimits(() => now);
  return {
    limits,
    advance: (ms: number) => void (now += ms),
    hit: (key = 'ip', limit = 3, name = 'default') => limits.increment(key, MINUTE, limit, MINUTE, name),
  };
}

describe('MemoryRateLimits (the in-memory rate-limit store)', () => {
  it('lets `limit` hits through in a window, blocks the next one for blockDuration', () => {
    const { hit, advance } = sut();
    expect([hit(), hit(), hit()].map((r) => r.isBlocked)).toEqual([false, false, false]);
    advance(10_000);
    expect(hit()).toEqual({ totalHits: 4, timeToExpire: 50, isBlocked: true, timeToBlockExpire: 60 });
    advance(30_000);
    expect(hit()).toEqual({ totalHits: 5, timeToExpire: 20, isBlocked: true, timeToBlockExpire: 30 });
  });

  it('starts a fresh window once the window is over', () => {
    const { hit, advance } = sut();
    hit();
    hit();
    advance(MINUTE);
    expect(hit()).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('a client that keeps hammering through its block is blocked again; a quiet one is not', () => {
    const hammering = sut();
    for (let i = 0; i < 4; i++) hammering.hit(); // blocked at t=0 until t=60 s; window until t=60 s
    hammering.advance(MINUTE); // block and window over
    for (let i = 0; i < 3; i++) expect(hammering.hit().isBlocked).toBe(false); // a new window
    hammering.advance(1000);
    expect(hammering.hit().isBlocked).toBe(true);

    const quiet = sut();
    for (let i = 0; i < 4; i++) quiet.hit();
    quiet.advance(MINUTE + 1);
    expect(quiet.hit()).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('counts each key and each throttler on its own', () => {
    const { hit } = sut();
    for (let i = 0; i < 4; i++) hit('a');
    expect(hit('a').isBlocked).toBe(true);
    expect(hit('b').isBlocked).toBe(false);
    expect(hit('a', 3, 'user').isBlocked).toBe(false);
  });

  it('forgets keys whose window and block are over (swept once a minute)', () => {
    const { limits, hit, advance } = sut();
    for (let i = 0; i < 100; i++) hit(`ip-${i}`);
    for (let i = 0; i < 5; i++) hit('blocked');
    expect(limits.size).toBe(101);
    advance(MINUTE);
    hit('new');
    expect(limits.size).toBe(1);
  });

  it('costs the same per hit whatever the limit: 200,000 hits from one address under a huge limit', () => {
    // @nestjs/throttler's memory store kept a timestamp per hit and filtered them all on every
    // hit: this loop took it minutes (O(n²)); here it is O(n).
    const limits = new MemoryRateLimits();
    const began = performance.now();
    let last;
    for (let i = 0; i < 200_000; i++) last = limits.increment('one-nat', MINUTE, 1_000_000, MINUTE, 'default');
    expect(last?.totalHits).toBe(200_000);
    expect(performance.now() - began).toBeLessThan(2000);
  });
});
