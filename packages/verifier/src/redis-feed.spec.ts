import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGatehouse } from './testing/fake-gatehouse.js';
import { createVerifier, type GatehouseVerifier } from './verifier.js';
import { outcome, within } from './testing/outcomes.js';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

let publisher: Redis;
let gatehouse: FakeGatehouse;
let channel: string;
let sut: GatehouseVerifier;

function publish(message: unknown): Promise<number> {
  return publisher.publish(channel, JSON.stringify({ from: 'another-instance', message }));
}

beforeAll(async () => {
  publisher = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await publisher.connect();
});

afterAll(() => publisher.disconnect());

beforeEach(async () => {
  gatehouse = await FakeGatehouse.start();
  channel = `gatehouse-verifier-test:${randomUUID()}`;
  sut = createVerifier(gatehouse.verifierOptions({ revocations: { redisUrl: REDIS_URL, channel }, jwksCooldownMs: 50 }));
  await sut.ready();
});

afterEach(async () => {
  await sut.close();
  await gatehouse.close();
});

describe('revocations from the Redis channel', () => {
  it('is live once subscribed', () => {
    expect(sut.status().feed).toMatchObject({ transport: 'redis', state: 'live', connections: 1, lastEventId: null });
  });

  it('applies sid, sub and kid revocations published by Gatehouse (ms timestamps)', async () => {
    const authTime = Date.now() / 1000 - 10;
    const bySession = gatehouse.sign({ sid: 's1' });
    const byUser = gatehouse.sign({ sub: 'u1', sid: 's2', auth_time: authTime });
    const spared = gatehouse.sign({ sub: 'u1', sid: 's3', auth_time: authTime });
    const now = Date.now();

    await publish({ type: 'revocation', revocation: { id: '1', sid: 's1', reason: 'logout', revokedAt: now } });
    await publish({ type: 'revocation', revocation: { id: '2', sub: 'u1', notBefore: now, exceptSid: 's3', reason: 'password_change', revokedAt: now } });
    await within(1000, () => sut.status().revocations === 2);

    expect(await outcome(sut.verify(bySession))).toBe('token_revoked');
    expect(await outcome(sut.verify(byUser))).toBe('token_revoked');
    expect(await outcome(sut.verify(spared))).toBe('accepted');

    await publish({ type: 'revocation', revocation: { id: '3', kid: gatehouse.activeKid, reason: 'key_revoked', revokedAt: Date.now() } });
    await within(1000, async () => (await outcome(sut.verify(spared))) === 'token_revoked');
  });

  it("refetches the JWKS on 'keys_changed'", async () => {
    const before = gatehouse.jwksRequests;
    const rotated = gatehouse.addKey();

    await publish({ type: 'keys_changed' });
    await within(1000, () => sut.status().jwks.kids.includes(rotated));

    expect(gatehouse.jwksRequests).toBe(before + 1);
  });

  it('ignores malformed messages', async () => {
    await publisher.publish(channel, 'not json');
    await publish({ type: 'revocation', revocation: { id: '9', sid: 'x' } });
    await publish({ type: 'revocation', revocation: { id: '10', sid: 'y', reason: 'logout', revokedAt: Date.now() } });

    await within(1000, () => sut.status().revocations === 1);
    expect(sut.status().feed.state).toBe('live');
  });
});
