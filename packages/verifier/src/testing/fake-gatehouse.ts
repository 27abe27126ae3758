import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VerifierOptions } from '../verifier.options.js';
import { FakeSignalsEndpoint } from './fake-signals.js';

/**
 * A stand-in for Gatehouse in tests and benchmarks of code that uses the verifier: it signs
 * tokens with local P-256 keys, serves them as JWKS, and serves an /events/revocations stream
 * the test controls (revoke, drop connections, refuse reconnections). Not for production.
 */
export const FAKE_ISSUER = 'http://gatehouse.fake';
export const FAKE_AUDIENCE = 'gatehouse-fake';
export const FAKE_CLIENT = { clientId: 'rs1', clientSecret: 's3cret' } as const;

type WireRevocation =
  | { sid: string }
  | { sub: string; notBefore: Date; exceptSid?: string }
  | { kid: string };

interface FakeKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, string>;
  inJwks: boolean;
}

interface FeedEvent {
  id: number;
  data: Record<string, unknown>;
}

export interface FeedRequest {
  lastEventId: string | undefined;
  authorization: string | undefined;
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export class FakeGatehouse {
  readonly keys = new Map<string, FakeKey>();
  activeKid = '';
  jwksRequests = 0;
  readonly feedRequests: FeedRequest[] = [];
  /** Answer the feed with this status instead of a stream (e.g. 503 while "down"). */
  feedStatus = 200;
  /** Hold new feed connections open without sending `ready` (a slow replay). */
  withholdReady = false;
  /** Refuse any Last-Event-ID with 409 resync_required (Gatehouse restored from an older backup). */
  refuseCursors = false;
  /** POST /oauth/signals: what arrived, and how it answers. */
  readonly signals = new FakeSignalsEndpoint();
  private readonly events: FeedEvent[] = [];
  private readonly streams = new Set<ServerResponse>();
  private nextEventId = 1;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeGatehouse> {
    // Nobody knows the port before `fake` exists, so no request reaches the handler earlier.
    const server = createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeGatehouse(server, `http://127.0.0.1:${port}`);
    fake.addKey();
    return fake;
  }

  get jwksUri(): string {
    return `${this.url}/.well-known/jwks.json`;
  }

  get feedUrl(): string {
    return `${this.url}/events/revocations`;
  }

  /** Options for createVerifier() pointing at this fake, SSE feed, no logging. */
  verifierOptions(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
    return {
      issuer: FAKE_ISSUER,
      audience: FAKE_AUDIENCE,
      jwksUri: this.jwksUri,
      revocations: { url: this.feedUrl, ...FAKE_CLIENT, reconnectDelayMs: 20 },
      logger: null,
      ...overrides,
    };
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** A new key, published in the JWKS; it signs from now on unless `activate` is false. */
  addKey(options: { activate?: boolean; publish?: boolean } = {}): string {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    const kid = `k-${randomUUID().slice(0, 8)}`;
    this.keys.set(kid, { kid, privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, inJwks: options.publish ?? true });
    if (options.activate ?? true) this.activeKid = kid;
    return kid;
  }

  publishKey(kid: string, published = true): void {
    this.keys.get(kid)!.inJwks = published;
  }

  /** Default claims of a fresh token; `auth_time` carries a millisecond fraction as Gatehouse's does. */
  claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Date.now();
    const iat = Math.floor(now / 1000);
    return {
      iss: FAKE_ISSUER,
      aud: FAKE_AUDIENCE,
      sub: randomUUID(),
      sid: randomUUID(),
      role: 'user',
      jti: randomUUID(),
      iat,
      exp: iat + 300,
      auth_time: now / 1000,
      ...overrides,
    };
  }

  /** An ES256 access token; override claims, header fields or the signing key. */
  sign(claims: Record<string, unknown> = {}, options: { header?: Record<string, unknown>; kid?: string } = {}): string {
    const kid = options.kid ?? this.activeKid;
    const key = this.keys.get(kid);
    if (!key) throw new Error(`unknown kid ${kid}`);
    const header = { alg: 'ES256', typ: 'at+jwt', kid, ...options.header };
    const input = `${b64(header)}.${b64(this.claims(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** HS256 "signed" with the public key as the secret: the classic algorithm-confusion attack. */
  signHs256(claims: Record<string, unknown> = {}): string {
    const jwk = this.keys.get(this.activeKid)!.publicJwk;
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: this.activeKid })}.${b64(this.claims(claims))}`;
    return `${input}.${createHmac('sha256', JSON.stringify(jwk)).update(input).digest('base64url')}`;
  }

  unsigned(claims: Record<string, unknown> = {}): string {
    return `${b64({ alg: 'none', typ: 'at+jwt', kid: this.activeKid })}.${b64(this.claims(claims))}.`;
  }

  /** Records a revocation and pushes it to every open stream. Returns its event id. */
  /** `revokedAt` in the past models a revocation the feed delivers late. */
  revoke(revocation: WireRevocation, reason = 'admin', revokedAt = new Date()): string {
    const data: Record<string, unknown> = { ...revocation, reason, revokedAt: revokedAt.toISOString() };
    if ('notBefore' in revocation) data.notBefore = revocation.notBefore.toISOString();
    if ('kid' in revocation) this.publishKey(revocation.kid, false);
    const event = { id: this.nextEventId++, data };
    this.events.push(event);
    for (const stream of this.streams) stream.write(this.format(event));
    return String(event.id);
  }

  /** Sends the heartbeat comment Gatehouse sends every 15 s. */
  ping(): void {
    for (const stream of this.streams) stream.write(': ping\n\n');
  }

  /** Cuts every open stream, as a restart or a network failure would. */
  dropStreams(): void {
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
  }

  async close(): Promise<void> {
    this.dropStreams();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/.well-known/jwks.json') {
      this.jwksRequests++;
      const keys = [...this.keys.values()]
        .filter((key) => key.inJwks)
        .map((key) => ({ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    } else if (req.url === '/events/revocations') {
      this.openStream(req, res);
    } else if (req.url === '/oauth/signals' && req.method === 'POST') {
      this.signals.handle(req, res);
    } else {
      res.statusCode = 404;
      res.end();
    }
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    this.feedRequests.push({ lastEventId, authorization: req.headers.authorization });
    const expected = `Basic ${Buffer.from(`${FAKE_CLIENT.clientId}:${FAKE_CLIENT.clientSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.statusCode = 401;
      res.end('{"statusCode":401,"code":"invalid_client"}');
      return;
    }
    if (this.feedStatus !== 200) {
      res.statusCode = this.feedStatus;
      res.end();
      return;
    }
    if (this.refuseCursors && lastEventId !== undefined) {
      res.statusCode = 409;
      res.end('{"statusCode":409,"code":"resync_required"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const after = lastEventId === undefined ? 0 : Number(lastEventId);
    for (const event of this.events) if (event.id > after) res.write(this.format(event));
    if (!this.withholdReady) this.sendReady(res);
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  /** Ends the replay on every open stream (after `withholdReady`). */
  releaseReady(): void {
    this.withholdReady = false;
    for (const stream of this.streams) this.sendReady(stream);
  }

  private sendReady(res: ServerResponse): void {
    res.write(`event: ready\ndata: ${JSON.stringify({ lastEventId: String(this.nextEventId - 1) })}\n\n`);
  }

  private format(event: FeedEvent): string {
    return `id: ${event.id}\nevent: revocation\ndata: ${JSON.stringify(event.data)}\n\n`;
  }
}
