import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyMaterial } from '../../src/tokens/key-material.js';
import { PushAuthenticator, type BusMessage, type SignedMessage } from '../../src/tokens/revocation/push-message.js';
import { NOTIFY_CHANNEL } from '../../src/tokens/revocation/revocation-listener.js';
import { createLoggedIn, eventually, loginAs, type LoggedIn } from '../support/factories.js';
import { createTestDatabase, startApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

// Issue 8 #15: whoever can publish on the Redis channel, or send a NOTIFY on the database, must
// not be able to change what any instance considers revoked. A pushed message is applied at once
// only if its MAC (a key derived from KEY_ENCRYPTION_SECRET, over the channel and every field)
// checks out; anything else is dropped and counted, and the catch-up read stays the safety net.

const status = async (t: TestApp, user: LoggedIn) => (await t.http.get('/auth/session').set(user.bearer)).status;

/** The counter of dropped push messages on `t`'s /metrics, by reason. */
async function ignoredPushes(t: TestApp, reason: 'malformed' | 'unauthenticated'): Promise<number> {
  const res = await t.http.get('/metrics');
  const line = res.text.split('\n').find((row) => row.startsWith(`gatehouse_revocation_push_ignored_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** A user-wide cut-off after everything so far that spares `spared`: applied, it would resurrect that session. */
const sparing = (user: LoggedIn, spared: LoggedIn, id: string): BusMessage => ({
  type: 'revocation',
  revocation: { id, sub: user.id, notBefore: Date.now() + 60_000, exceptSid: spared.sessionId, reason: 'logout', revokedAt: Date.now() },
});
const revokingSession = (victim: LoggedIn, id: string): BusMessage => ({
  type: 'revocation',
  revocation: { id, sid: victim.sessionId, reason: 'admin', revokedAt: Date.now() },
});

/** Ways to get a MAC without the secret, for a message meant for `channel`. */
function forgeries(message: BusMessage, channel: string): SignedMessage[] {
  const withTheRealSecret = new PushAuthenticator(new KeyMaterial('test-secret-0123456789-abcdefghijklmnopqrstuvwxyz').pushKeys);
  return [
    { message, mac: 'A'.repeat(43) }, // made up
    new PushAuthenticator(new KeyMaterial('another-secret-0123456789-abcdefghijklmnopqrstuvw').pushKeys).sign(channel, message), // a wrong secret
    withTheRealSecret.sign(`${channel}-of-another-deployment`, message), // the right secret, another deployment's channel
  ];
}

/** A genuine message with `change` applied to its revocation and its MAC kept. */
function tampered(genuine: SignedMessage, change: Record<string, unknown>): SignedMessage {
  if (genuine.message.type !== 'revocation') throw new Error('not a revocation');
  return { ...genuine, message: { ...genuine.message, revocation: { ...genuine.message.revocation, ...change } } };
}

const nextId = async (t: TestApp, ahead: number) =>
  String(BigInt((await t.sql<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM revocation_events`))[0].id) + BigInt(ahead));

describe('forged messages on the Redis revocation channel', () => {
  let a: TestApp;
  let b: TestApp;
  let attacker: Redis;
  let eavesdropper: Redis;
  let channel: string;
  const heard: SignedMessage[] = [];
  const send = (signed: SignedMessage | { message: unknown; mac?: unknown }) =>
    attacker.publish(channel, JSON.stringify({ from: 'attacker', ...signed }));
  /** A real revocation published after the forged ones: once B enforces it, B has handled them (one channel keeps order). */
  const handledEverythingSoFar = async () => {
    const sentinel = await createLoggedIn(a);
    expect((await a.http.post('/auth/logout').set(sentinel.bearer)).status).toBe(204);
    await eventually(async () => expect(await status(b, sentinel)).toBe(401), 2000, 5);
  };
  /** The next genuine message A publishes, as anyone on the channel sees it. */
  const capture = async (act: () => Promise<void>): Promise<SignedMessage> => {
    heard.length = 0;
    await act();
    await eventually(async () => expect(heard.length).toBeGreaterThan(0), 2000, 5);
    return heard[0];
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    // Catch-up once a minute: within the test, B learns of revocations over Redis only.
    const env = { REVOCATION_SYNC_INTERVAL_MS: '60000', REVOCATION_LISTEN: 'false' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
    channel = b.config.get('REVOCATION_CHANNEL');
    attacker = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    eavesdropper = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await Promise.all([attacker.connect(), eavesdropper.connect()]);
    eavesdropper.on('message', (_channel: string, raw: string) => {
      if (!raw.startsWith('{"from":"attacker"') && raw.startsWith('{')) {
        const { message, mac } = JSON.parse(raw) as SignedMessage;
        heard.push({ message, mac });
      }
    });
    await eavesdropper.subscribe(channel);
  });
  afterAll(async () => {
    attacker?.disconnect();
    eavesdropper?.disconnect();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('cannot resurrect a revoked session with a later user-wide cut-off that spares it, whatever it names and however it is signed', async () => {
    const first = await createLoggedIn(a);
    const second = await loginAs(a, first);
    const genuine = await capture(async () => expect((await a.http.post('/auth/logout-all').set(first.bearer)).status).toBe(204));
    expect(genuine.message).toMatchObject({ type: 'revocation', revocation: { sub: first.id } });
    await eventually(async () => expect(await status(b, second)).toBe(401), 1000, 5);
    const unauthenticatedBefore = await ignoredPushes(b, 'unauthenticated');

    const ahead = await nextId(a, 1000); // an id the catch-up has not passed: applied, it would take effect
    const forged = [
      ...forgeries(sparing(first, second, ahead), channel),
      tampered(genuine, { id: ahead, notBefore: Date.now() + 60_000, exceptSid: second.sessionId }), // the real MAC, a changed payload
      tampered(genuine, { id: ahead, exceptSid: second.sessionId }),
    ];
    for (const signed of forged) await send(signed);
    await send({ message: sparing(first, second, ahead) }); // no MAC at all: not even the shape of a message

    await handledEverythingSoFar();
    expect(await status(b, second)).toBe(401);
    expect(await status(b, first)).toBe(401);
    expect(await ignoredPushes(b, 'unauthenticated')).toBe(unauthenticatedBefore + forged.length);
  });

  it('cannot revoke a live session either, and garbage is dropped and counted', async () => {
    const victim = await createLoggedIn(a);
    const bystander = await createLoggedIn(a);
    const genuine = await capture(async () => expect((await a.http.post('/auth/logout').set(bystander.bearer)).status).toBe(204));
    expect(await status(b, victim)).toBe(200);
    const [malformedBefore, unauthenticatedBefore] = [await ignoredPushes(b, 'malformed'), await ignoredPushes(b, 'unauthenticated')];

    const ahead = await nextId(a, 1000);
    const forged = [
      ...forgeries(revokingSession(victim, ahead), channel),
      tampered(genuine, { sid: victim.sessionId }), // the bystander's real MAC on the victim's session
      tampered(genuine, { id: ahead, sid: victim.sessionId }),
    ];
    for (const signed of forged) await send(signed);
    await send({ message: revokingSession(victim, ahead) }); // no MAC
    await attacker.publish(channel, 'not json');
    await attacker.publish(channel, 'null');
    await send({ message: revokingSession(victim, '-1'), mac: forged[0].mac });
    await send({ message: revokingSession(victim, '99999999999999999999'), mac: forged[0].mac });
    await send({ message: { type: 'something-else' }, mac: forged[0].mac });

    await handledEverythingSoFar();
    expect(await status(b, victim)).toBe(200);
    expect(await ignoredPushes(b, 'unauthenticated')).toBe(unauthenticatedBefore + forged.length);
    expect(await ignoredPushes(b, 'malformed')).toBe(malformedBefore + 6);
  });

  it('a real revocation still reaches the other instance within a second, and a replay of it changes nothing', async () => {
    const user = await createLoggedIn(a);
    expect(await status(b, user)).toBe(200);
    const started = Date.now();
    const genuine = await capture(async () => expect((await a.http.post('/auth/logout').set(user.bearer)).status).toBe(204));
    await eventually(async () => expect(await status(b, user)).toBe(401), 1000, 5);
    expect(Date.now() - started).toBeLessThan(1000);
    const ignoredBefore = (await ignoredPushes(b, 'unauthenticated')) + (await ignoredPushes(b, 'malformed'));
    await send(genuine);
    await handledEverythingSoFar();
    expect(await status(b, user)).toBe(401);
    expect((await ignoredPushes(b, 'unauthenticated')) + (await ignoredPushes(b, 'malformed'))).toBe(ignoredBefore);
  });
});

describe('forged NOTIFY payloads on the database', () => {
  let a: TestApp;
  let b: TestApp;
  let attacker: pg.Client;
  const heard: string[] = [];
  const notify = (payload: string) => attacker.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, payload]);
  const handledEverythingSoFar = async () => {
    const sentinel = await createLoggedIn(a);
    expect((await a.http.post('/auth/logout').set(sentinel.bearer)).status).toBe(204);
    await eventually(async () => expect(await status(b, sentinel)).toBe(401), 2000, 5);
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    // No Redis and a catch-up once a minute: whatever B learns within the test came over NOTIFY.
    const env = { REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '60000' };
    a = await startApp({ databaseUrl, env });
    b = await startApp({ databaseUrl, env });
    // Any role that can connect may LISTEN and NOTIFY.
    attacker = new pg.Client({ connectionString: databaseUrl });
    await attacker.connect();
    attacker.on('notification', (message) => heard.push(message.payload ?? ''));
    await attacker.query(`LISTEN ${NOTIFY_CHANNEL}`);
  });
  afterAll(async () => {
    await attacker?.end();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('revokes nothing and spares nothing, however the payload is signed', async () => {
    const first = await createLoggedIn(a);
    const second = await loginAs(a, first);
    const victim = await createLoggedIn(a);
    heard.length = 0;
    expect((await a.http.post('/auth/logout-all').set(first.bearer)).status).toBe(204);
    await eventually(async () => expect(heard.length).toBeGreaterThan(0), 2000, 5);
    const [genuine] = JSON.parse(heard[0]) as SignedMessage[];
    expect(genuine.message).toMatchObject({ type: 'revocation', revocation: { sub: first.id } });
    await eventually(async () => expect(await status(b, second)).toBe(401), 1000, 5);
    expect(await status(b, victim)).toBe(200);
    const [malformedBefore, unauthenticatedBefore] = [await ignoredPushes(b, 'malformed'), await ignoredPushes(b, 'unauthenticated')];

    const ahead = await nextId(a, 1000);
    const forged = [
      ...forgeries(sparing(first, second, ahead), NOTIFY_CHANNEL),
      ...forgeries(revokingSession(victim, ahead), NOTIFY_CHANNEL),
      tampered(genuine, { id: ahead, exceptSid: second.sessionId }),
      tampered(genuine, { id: ahead, sub: victim.id, notBefore: Date.now() + 60_000 }),
    ];
    await notify(JSON.stringify(forged));
    await notify(ahead); // the previous format: a bare event id
    await notify(`${ahead},${ahead}`);
    await notify(JSON.stringify([{ message: revokingSession(victim, ahead) }])); // no MAC

    await handledEverythingSoFar();
    expect(await status(b, second)).toBe(401);
    expect(await status(b, first)).toBe(401);
    expect(await status(b, victim)).toBe(200);
    expect(await ignoredPushes(b, 'unauthenticated')).toBe(unauthenticatedBefore + forged.length);
    expect(await ignoredPushes(b, 'malformed')).toBe(malformedBefore + 3);
  });
});
