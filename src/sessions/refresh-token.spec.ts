import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveSuccessor, generateRefreshToken, hashRefreshToken } from './refresh-token.js';

describe('refresh tokens', () => {
  it('are opaque URL-safe strings carrying 256 random bits', () => {
    const token = generateRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('never repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateRefreshToken()));
    expect(tokens.size).toBe(1000);
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
