import type { Revocation } from './revocation-cache.js';

export type { Revocation };

export interface FeedHandlers {
  onRevocation(revocation: Revocation): void;
  /** Gatehouse rotated or revoked a key: refetch the JWKS. */
  onKeysChanged(): void;
  /** The in-memory revocation list is complete up to now (SSE: replay done; Redis: subscribed). */
  onLive(): void;
  /** The feed stopped; revocations may be missed until the next onLive(). */
  onLost(reason: string): void;
}

/** Where revocations come from: the SSE stream (recommended) or the Redis channel. */
export interface RevocationFeed {
  readonly transport: 'sse' | 'redis';
  /** SSE: the id of the last applied event, sent as Last-Event-ID on reconnect. */
  readonly lastEventId: string | undefined;
  readonly lastError: string | undefined;
  readonly connections: number;
  start(handlers: FeedHandlers): void;
  close(): Promise<void>;
}

export interface FeedLogger {
  warn(message: string): void;
  info?(message: string): void;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** SSE sends ISO-8601 strings, the Redis bus ms numbers: accept both. */
function toMs(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/**
 * A revocation from the wire (SSE `data:` JSON or a Redis bus message) in the server's own
 * shape, or undefined if it is malformed. Exactly one of sid / kid / sub is honoured, as on the server.
 */
export function parseRevocation(id: string, raw: unknown): Revocation | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const wire = raw as Record<string, unknown>;
  const revokedAt = toMs(wire.revokedAt);
  if (!Number.isFinite(revokedAt)) return undefined;
  const reason = typeof wire.reason === 'string' ? wire.reason : 'unknown';
  if (nonEmpty(wire.sid)) return { id, sid: wire.sid, reason, revokedAt };
  if (nonEmpty(wire.kid)) return { id, kid: wire.kid, reason, revokedAt };
  const notBefore = toMs(wire.notBefore);
  if (!nonEmpty(wire.sub) || !Number.isFinite(notBefore)) return undefined;
  const exceptSid = nonEmpty(wire.exceptSid) ? wire.exceptSid : undefined;
  return { id, sub: wire.sub, notBefore, exceptSid, reason, revokedAt };
}
