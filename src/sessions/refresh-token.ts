import { createHash, createHmac, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe. Only its SHA-256 is ever stored. */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The successor of a presented token is HMAC(server key, presented token, successor id).
 * Whoever holds the presented token can be handed the same successor again during the grace
 * window, yet the database holds only hashes: neither the successor nor anything that
 * reproduces it without the presented token is stored (DESIGN.md "Refresh rotation").
 */
export function deriveSuccessor(key: Buffer, presented: string, successorId: string): string {
  return createHmac('sha256', key).update(presented).update('\0').update(successorId).digest('base64url');
}

/** Whole seconds from `now` until `when`, never negative (refreshExpiresIn). */
export function secondsUntil(when: Date, now: Date): number {
  return Math.max(0, Math.floor((when.getTime() - now.getTime()) / 1000));
}
