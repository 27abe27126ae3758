import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Revocation } from './revocation.types.js';

/**
 * What an instance pushes to the others (Redis, PostgreSQL NOTIFY). The revocation rides along
 * whole: the receiver applies it at once when its MAC checks out, and the verifier package's Redis
 * feed (packages/verifier/src/redis-feed.ts) takes it as it is.
 */
export type BusMessage = { type: 'revocation'; revocation: Revocation } | { type: 'keys_changed' };

/** A message with its MAC, as it travels. Until `PushAuthenticator.verify` says so, anyone may have written it. */
export interface SignedMessage {
  message: BusMessage;
  mac: string;
}

/** The largest value of a PostgreSQL bigint: no event id can exceed it. */
const MAX_EVENT_ID = 9_223_372_036_854_775_807n;

/** An event id as it travels (a decimal string), or undefined if it cannot be one. */
function parseEventId(raw: unknown): bigint | undefined {
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,18}$/.test(raw)) return undefined;
  const id = BigInt(raw);
  return id <= MAX_EVENT_ID ? id : undefined;
}

const optionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === 'string';
const optionalTime = (value: unknown): value is number | undefined => value === undefined || Number.isSafeInteger(value);

/**
 * A signed message from its parsed JSON (`{ message, mac }`), or undefined when it does not have
 * that shape. Only the fields the MAC covers are taken, so what is applied is what was verified.
 */
export function parseSigned(raw: unknown): SignedMessage | undefined {
  const { message, mac } = (raw ?? {}) as { message?: { type?: unknown; revocation?: Record<string, unknown> | null }; mac?: unknown };
  if (typeof mac !== 'string') return undefined;
  if (message?.type === 'keys_changed') return { message: { type: 'keys_changed' }, mac };
  const wire = message?.type === 'revocation' ? message.revocation : undefined;
  if (!wire || typeof wire !== 'object') return undefined;
  const { id, sid, sub, notBefore, exceptSid, kid, reason, revokedAt } = wire;
  if (parseEventId(id) === undefined || typeof reason !== 'string' || !Number.isSafeInteger(revokedAt)) return undefined;
  if (!optionalString(sid) || !optionalString(sub) || !optionalString(exceptSid) || !optionalString(kid) || !optionalTime(notBefore)) {
    return undefined;
  }
  const revocation = { id, sid, sub, notBefore, exceptSid, kid, reason, revokedAt } as Revocation;
  return { message: { type: 'revocation', revocation }, mac };
}

/**
 * Authenticates push messages between instances with HMAC-SHA256 under a key every instance
 * derives from KEY_ENCRYPTION_SECRET (KeyMaterial.pushKeys), so a receiver can apply a message
 * without reading it back from the database, while whoever can merely publish on Redis or send a
 * NOTIFY can neither add nor lift a revocation (issue 8 #15, DESIGN.md "Revocation"). The MAC
 * covers the channel too: a message heard on one deployment's channel is worthless on another's.
 */
export class PushAuthenticator {
  /** `keys[0]` signs; every key verifies (older secrets, while KEY_ENCRYPTION_SECRET is rotated). */
  constructor(private readonly keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('PushAuthenticator needs a key');
  }

  sign(channel: string, message: BusMessage): SignedMessage {
    return { message, mac: this.mac(this.keys[0], channel, message).toString('base64url') };
  }

  verify(channel: string, signed: SignedMessage): boolean {
    const presented = Buffer.from(signed.mac, 'base64url');
    if (presented.length !== 32) return false;
    return this.keys.some((key) => timingSafeEqual(presented, this.mac(key, channel, signed.message)));
  }

  private mac(key: Buffer, channel: string, message: BusMessage): Buffer {
    return createHmac('sha256', key).update(canonical(channel, message)).digest();
  }
}

/** One unambiguous string per (channel, message): every field in a fixed place, absent ones as null. */
function canonical(channel: string, message: BusMessage): string {
  if (message.type === 'keys_changed') return JSON.stringify(['gatehouse-push-v1', channel, 'keys_changed']);
  const r = message.revocation;
  const fields = [r.id, r.sid, r.sub, r.notBefore, r.exceptSid, r.kid, r.reason, r.revokedAt].map((field) => field ?? null);
  return JSON.stringify(['gatehouse-push-v1', channel, 'revocation', ...fields]);
}
