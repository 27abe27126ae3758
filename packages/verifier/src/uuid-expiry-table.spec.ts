import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UuidExpiryTable } from './uuid-expiry-table.js';

const NOW = 1_800_000_000; // seconds

describe('UuidExpiryTable', () => {
  it('holds exactly the ids it was given, in either case, and nothing else', () => {
    const sut = new UuidExpiryTable(16);
    const ids = Array.from({ length: 5000 }, () => randomUUID());
    for (const id of ids) sut.set(id, NOW + 60);
    expect(sut.size).toBe(5000);
    for (const id of ids) expect(sut.has(id)).toBe(true);
    expect(sut.has(ids[0].toUpperCase())).toBe(true);
    for (let i = 0; i < 5000; i++) expect(sut.has(randomUUID())).toBe(false);
  });

  it('tells apart ids that differ only in one of the four 32-bit words (no partial-key matches)', () => {
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
    const idFrom = (w: number[]) => {
      const h = w.map(hex).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    };
    for (let word = 0; word < 4; word++) {
      const sut = new UuidExpiryTable();
      const fixed = [0x11111111, 0x22222222, 0x33333333, 0x44444444];
      const variant = (value: number) => idFrom(fixed.map((f, i) => (i === word ? value : f)));
      for (let i = 0; i < 2000; i++) sut.set(variant(i * 2), NOW + 60);
      for (let i = 0; i < 2000; i++) expect(sut.has(variant(i * 2 + 1))).toBe(false);
      for (let i = 0; i < 2000; i++) expect(sut.has(variant(i * 2))).toBe(true);
      expect(sut.size).toBe(2000);
    }
  });

  it('keeps non-UUID ids apart (a verifier fed by another issuer) and never confuses them with UUIDs', () => {
    const sut = new UuidExpiryTable();
    sut.set('sid-a', NOW + 60);
    sut.set('0000000g-0000-0000-0000-000000000000', NOW + 60); // not hex
    expect(sut.has('sid-a')).toBe(true);
    expect(sut.has('sid-b')).toBe(false);
    expect(sut.has('00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(sut.has('0000000g-0000-0000-0000-000000000000')).toBe(true);
    expect(sut.size).toBe(2);
  });

  it('prune forgets entries at or past their expiry, keeps the rest findable, and shrinks', () => {
    const sut = new UuidExpiryTable();
    const old = Array.from({ length: 3000 }, () => randomUUID());
    const young = Array.from({ length: 1000 }, () => randomUUID());
    for (const id of old) sut.set(id, NOW + 10);
    for (const id of young) sut.set(id, NOW + 20);
    sut.set('other-old', NOW + 10);
    const grown = sut.byteLength;
    expect(sut.prune(NOW + 9)).toBe(0);
    expect(sut.size).toBe(4001);
    expect(sut.prune(NOW + 10)).toBe(3001);
    expect(sut.size).toBe(1000);
    expect(sut.byteLength).toBeLessThan(grown);
    for (const id of old) expect(sut.has(id)).toBe(false);
    for (const id of young) expect(sut.has(id)).toBe(true);
    expect(sut.has('other-old')).toBe(false);
    expect(sut.prune(NOW + 20)).toBe(1000);
    expect(sut.size).toBe(0);
  });

  it('a second set extends an expiry and never shortens it; fractional seconds round up', () => {
    const sut = new UuidExpiryTable();
    const id = randomUUID();
    sut.set(id, NOW + 30);
    sut.set(id, NOW + 10);
    expect(sut.size).toBe(1);
    expect(sut.prune(NOW + 29)).toBe(0);
    expect(sut.has(id)).toBe(true);
    sut.set(id, NOW + 40.001);
    expect(sut.prune(NOW + 40)).toBe(0);
    expect(sut.prune(NOW + 41)).toBe(1);
  });

  it('holds a million ids in well under 150 MB', () => {
    const sut = new UuidExpiryTable();
    const id = Buffer.alloc(16);
    for (let i = 0; i < 1_000_000; i++) {
      id.writeUInt32BE(i, 12);
      id.writeUInt32BE(i * 2654435761 >>> 0, 0);
      const hex = id.toString('hex');
      sut.set(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`, NOW + 300);
    }
    expect(sut.size).toBe(1_000_000);
    expect(sut.byteLength).toBeLessThan(50 * 1024 * 1024);
  });
});
