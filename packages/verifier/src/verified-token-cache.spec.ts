import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from './verified-token-cache.js';

describe('VerifiedTokenCache', () => {
  it('returns what was stored for the exact token string only', () => {
    const sut = new VerifiedTokenCache<{ exp: number }>(10);
    sut.set('a.b.c', { exp: 100 });
    expect(sut.get('a.b.c')).toEqual({ exp: 100 });
    expect(sut.get('a.b.C')).toBeUndefined();
  });

  it('never grows past its capacity: at capacity the oldest entry is evicted', () => {
    const sut = new VerifiedTokenCache<{ exp: number }>(3);
    sut.set('t1', { exp: 1 });
    sut.set('t2', { exp: 2 });
    sut.set('t3', { exp: 3 });
    sut.set('t4', { exp: 4 });
    expect(sut.size).toBe(3);
    expect(sut.get('t1')).toBeUndefined();
    expect(sut.get('t2')).toEqual({ exp: 2 });
    expect(sut.get('t4')).toEqual({ exp: 4 });
    for (let i = 5; i < 100; i++) sut.set(`t${i}`, { exp: i });
    expect(sut.size).toBe(3);
    expect([sut.get('t97'), sut.get('t98'), sut.get('t99')]).toEqual([{ exp: 97 }, { exp: 98 }, { exp: 99 }]);
  });

  it('delete removes one entry', () => {
    const sut = new VerifiedTokenCache<{ exp: number }>(3);
    sut.set('t1', { exp: 1 });
    sut.set('t2', { exp: 2 });
    sut.delete('t1');
    expect(sut.get('t1')).toBeUndefined();
    expect(sut.size).toBe(1);
  });

  it('prune drops entries expired beyond the leeway and keeps the rest', () => {
    const sut = new VerifiedTokenCache<{ exp: number }>(10);
    sut.set('expired', { exp: 100 });
    sut.set('within-leeway', { exp: 196 });
    sut.set('live', { exp: 300 });
    sut.prune(200, 5);
    expect(sut.get('expired')).toBeUndefined();
    expect(sut.get('within-leeway')).toEqual({ exp: 196 });
    expect(sut.get('live')).toEqual({ exp: 300 });
    expect(sut.size).toBe(2);
  });
});
