import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { deriveSuccessor, generateRefreshToken, hashRefreshToken } from './refresh-token.js';

// randomBytes stays the real CSPRNG; the spy only lets a test see that tokens come from it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, randomBytes: vi.fn(actual.randomBytes) };
});

describe('refresh tokens', () => {
  it('are opaque URL-safe strings carrying 256 random bits', () => {
    const token = generateRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('are exactly 32 fresh bytes of the CSPRNG, so they never repeat and cannot be predicted', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256));
    vi.mocked(randomBytes).mockReturnValueOnce(bytes as never);
    expect(generateRefreshToken()).toBe(bytes.toString('base64url'));
    expect(randomBytes).toHaveBeenLastCalledWith(32);
    // Each call draws anew: two tokens share no 8-byte run (a counter, a clock or a reused
    // buffer would).
    const a = Buffer.from(generateRefreshToken(), 'base64url');
    const b = Buffer.from(generateRefreshToken(), 'base64url');
    for (let i = 0; i + 8 <= 32; i++) expect(b.includes(a.subarray(i, i + 8))).toBe(false);
  });

  it('are stored as their SHA-256 (hex), never in plaintext', () => {
    const token = generateRefreshToken();
    const hash = hashRefreshToken(token);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(token);
    expect(hashRefreshToken(`${token}x`)).not.toBe(hash);
  });
});

describe('deriveSuccessor', () => {
  const key = randomBytes(32);
  const presented = generateRefreshToken();
  const successorId = '0193a1b2-0000-7000-8000-000000000001';

  it('is reproducible from the same key, presented token and successor id (the grace-window answer)', () => {
    expect(deriveSuccessor(key, presented, successorId)).toBe(deriveSuccessor(key, presented, successorId));
  });

  it('looks like any other refresh token and differs from the presented one', () => {
    const successor = deriveSuccessor(key, presented, successorId);
    expect(successor).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(successor).not.toBe(presented);
  });

  it('changes when any input changes: the server key, the presented token or the successor id', () => {
    const successor = deriveSuccessor(key, presented, successorId);
    expect(deriveSuccessor(randomBytes(32), presented, successorId)).not.toBe(successor);
    expect(deriveSuccessor(key, generateRefreshToken(), successorId)).not.toBe(successor);
    expect(deriveSuccessor(key, presented, '0193a1b2-0000-7000-8000-000000000002')).not.toBe(successor);
  });

  it('keeps the token and the id apart (no ambiguity from concatenation)', () => {
    expect(deriveSuccessor(key, 'ab', 'c')).not.toBe(deriveSuccessor(key, 'a', 'bc'));
  });
});
