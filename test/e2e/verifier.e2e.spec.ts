import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type GatehouseVerifier, type VerifierOptions } from '@gatehouse/verifier';
import { createLoggedIn, loginAs } from '../support/factories.js';
import { startApp, TEST_AUDIENCE, TEST_ISSUER, type TestApp } from '../support/test-app.js';
import { outcome, within } from '../../packages/verifier/src/testing/outcomes.js';

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

/** A TCP proxy in front of Gatehouse that the test can cut, as a network failure would. */
interface CuttableProxy {
  url: string;
  /** Every chunk a client sent through it (request lines and headers, in order). */
  requests: string[];
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connectTcp(targetPort, '127.0.0.1');
    client.on('data', (chunk: Buffer) => requests.push(chunk.toString('latin1')));
    client.pipe(upstream).pipe(client);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('verifier against a running Gatehouse', () => {
  let t: TestApp;
  let url: string;
  let proxy: CuttableProxy;
  let sut: GatehouseVerifier;
  const verifiers: GatehouseVerifier[] = [];

  function verifierOptions(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
    return {
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      jwksUri: `${proxy.url}/.well-known/jwks.json`,
      revocations: { url: `${proxy.url}/events/revocations`, clientId: 'rs1', clientSecret: 's3cret' },
      accessTokenTtlSeconds: t.config.get('ACCESS_TOKEN_TTL_SECONDS'),
      clockToleranceSeconds: t.config.get('CLOCK_SKEW_SECONDS'),
      jwksCooldownMs: 100,
      logger: null,
      ...overrides,
    };
  }

  async function startVerifier(overrides: Partial<VerifierOptions> = {}): Promise<GatehouseVerifier> {
    const verifier = createVerifier(verifierOptions(overrides));
    verifiers.push(verifier);
    await verifier.ready();
    return verifier;
  }

  beforeAll(async () => {
    t = await startApp({ env: { INTROSPECTION_CLIENTS: 'rs1:s3cret' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as AddressInfo;
    url = `http://127.0.0.1:${address.port}`;
    proxy = await startProxy(address.port);
    sut = await startVerifier();
  });

  afterAll(async () => {
    await Promise.all(verifiers.map((verifier) => verifier.close()));
    await proxy?.close();
    await t?.close();
  });

  it('accepts a token Gatehouse issued, with its claims', async () => {
    const user = await createLoggedIn(t);

    const claims = await sut.verify(user.accessToken);

    expect(claims).toMatchObject({ sub: user.id, sid: user.sessionId, role: 'user', iss: TEST_ISSUER, aud: TEST_AUDIENCE });
    expect(claims.kid).toBe(kidOf(user.accessToken));
    expect(claims.auth_time).toEqual(expect.any(Number));
    expect(sut.status().feed).toMatchObject({ transport: 'sse', state: 'live' });
  });

  it('verifies with no request to Gatehouse, and rejects a token within a second of logout', async () => {
    const user = await createLoggedIn(t);
    const others = await Promise.all([createLoggedIn(t), createLoggedIn(t)]);
    const requestsBefore = proxy.requests.length;
    for (let i = 0; i < 50; i++) await sut.verify(user.accessToken);
    for (const other of others) await sut.verify(other.accessToken);
    expect(proxy.requests.length).toBe(requestsBefore);

    expect((await t.http.post('/auth/logout').set(user.bearer)).status).toBe(204);

    const elapsed = await within(1000, async () => (await outcome(sut.verify(user.accessToken))) === 'token_revoked');
    expect(elapsed).toBeLessThan(1000);
    expect(await outcome(sut.verify(others[0].accessToken))).toBe('accepted');
  });

  it('logout-all revokes every session of the user; a later login works', async () => {
    const user = await createLoggedIn(t);
    const second = await loginAs(t, user);
    await sut.verify(second.accessToken);

    expect((await t.http.post('/auth/logout-all').set(user.bearer)).status).toBe(204);

    await within(1000, async () => (await outcome(sut.verify(second.accessToken))) === 'token_revoked');
    expect(await outcome(sut.verify(user.accessToken))).toBe('token_revoked');
    const again = await loginAs(t, user);
    expect(await outcome(sut.verify(again.accessToken))).toBe('accepted');
  });

  it('a password change revokes the other sessions and keeps the current one', async () => {
    const user = await createLoggedIn(t);
    const other = await loginAs(t, user);

    const res = await t.http
      .post('/users/me/password')
      .set(user.bearer)
      .send({ currentPassword: user.password, newPassword: 'a brand new passphrase' });
    expect(res.status).toBe(204);

    await within(1000, async () => (await outcome(sut.verify(other.accessToken))) === 'token_revoked');
    expect(await outcome(sut.verify(user.accessToken))).toBe('accepted');
  });

  it('a verifier started later gets earlier revocations from the replay', async () => {
    const user = await createLoggedIn(t);
    expect((await t.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    await within(1000, async () => (await outcome(sut.verify(user.accessToken))) === 'token_revoked');

    const late = await startVerifier();

    expect(await outcome(late.verify(user.accessToken))).toBe('token_revoked');
    expect(late.status().revocations).toBeGreaterThan(0);
  });

  it('reconnects after a network cut with Last-Event-ID and applies what it missed', async () => {
    const user = await createLoggedIn(t);
    await sut.verify(user.accessToken);
    const cursor = sut.status().feed.lastEventId;
    const connections = sut.status().feed.connections;
    expect(cursor).toMatch(/^\d+$/);

    proxy.cut();
    await within(2000, () => sut.status().feed.state === 'lost');
    expect((await t.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    // onFeedLoss 'accept' (the default): still verifies from memory while the feed is down.
    expect(sut.status().accepting).toBe(true);
    const requestsBeforeRestore = proxy.requests.length;
    proxy.restore();

    await within(5000, async () => (await outcome(sut.verify(user.accessToken))) === 'token_revoked');
    expect(sut.status().feed).toMatchObject({ state: 'live', connections: connections + 1 });
    const resumed = proxy.requests.slice(requestsBeforeRestore).find((request) => request.startsWith('GET /events/revocations'));
    expect(resumed?.toLowerCase()).toContain(`last-event-id: ${cursor}`);
  });

  it('refuses wrong client credentials: never live, reports the 401', async () => {
    const wrong = createVerifier(
      verifierOptions({
        revocations: { url: `${url}/events/revocations`, clientId: 'rs1', clientSecret: 'wrong' },
        startupTimeoutMs: 500,
      }),
    );
    verifiers.push(wrong);

    await expect(wrong.ready()).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(wrong.status().feed.lastError).toMatch(/HTTP 401/);
  });

  it('follows key rotation (new kid) and key revocation (its tokens rejected at once)', async () => {
    const admin = await createLoggedIn(t, { role: 'admin' });
    const user = await createLoggedIn(t);
    const oldKid = kidOf(user.accessToken);
    await sut.verify(user.accessToken);

    const rotated = await t.http.post('/admin/keys/rotate').set(admin.bearer);
    expect(rotated.status).toBe(201);
    const fresh = await loginAs(t, user);
    expect(kidOf(fresh.accessToken)).toBe(rotated.body.kid);
    expect(await outcome(sut.verify(fresh.accessToken))).toBe('accepted');
    expect(await outcome(sut.verify(user.accessToken))).toBe('accepted');

    expect((await t.http.post(`/admin/keys/${oldKid}/revoke`).set(admin.bearer)).status).toBe(204);

    await within(1000, async () => (await outcome(sut.verify(user.accessToken))) === 'token_revoked');
    expect(await outcome(sut.verify(fresh.accessToken))).toBe('accepted');
    expect(sut.status().jwks.kids).not.toContain(oldKid);
  });
});
