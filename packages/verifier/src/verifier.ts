import type { KeyObject } from 'node:crypto';
import { VerifierError } from './errors.js';
import { JwksClient } from './jwks-client.js';
import { createFeed } from './create-feed.js';
import type { FeedHandlers, Revocation, RevocationFeed } from './revocation-feed.js';
import { SignalReporter, signalBody, type SignalsStatus, type SignalType } from './signal-reporter.js';
import { RevocationCache } from './revocation-cache.js';
import {
  checkClaims,
  hasValidSignature,
  isExpired,
  parseToken,
  readClaims,
  type ClaimRules,
  type GatehouseClaims,
  type ParsedToken,
} from './token-rules.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { resolveOptions, type FeedLossPolicy, type ResolvedOptions, type VerifierOptions } from './verifier.options.js';

/** connecting: never live yet; live: revocations complete up to now; lost: was live, now down. */
export type FeedState = 'connecting' | 'live' | 'lost' | 'closed';

export interface VerifierStatus {
  feed: {
    transport: 'sse' | 'redis';
    state: FeedState;
    /** When the feed was lost (ISO-8601), while state is 'lost'. */
    lostSince: string | null;
    lastEventId: string | null;
    lastError: string | null;
    /** Successful connections so far (1 + reconnections). */
    connections: number;
  };
  onFeedLoss: FeedLossPolicy;
  /** Whether a valid token would be accepted right now. */
  accepting: boolean;
  /** With onFeedLoss 'accept' while the feed is lost: when acceptance stops (ISO-8601). */
  acceptingUntil: string | null;
  jwks: { kids: string[]; fetchedAt: string | null; lastError: string | null };
  /** Revocation entries held in memory. */
  revocations: number;
  /** Tokens in the verified-token cache. */
  cachedTokens: number;
  /** Signals reported to Gatehouse (report(), reportForbidden): sent, queued, dropped by reason; null when off. */
  signals: SignalsStatus | null;
}

const CACHE_PRUNE_INTERVAL_MS = 60_000;
const REVOCATION_PRUNE_INTERVAL_MS = 30_000;

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * Verifies Gatehouse access tokens inside a resource server with the server's own rules
 * (DESIGN.md "The hot path", "Resource servers"): ES256 against the cached JWKS, claim checks,
 * then the in-memory revocation list kept current by the feed. No network call per token.
 */
export class GatehouseVerifier {
  private readonly options: ResolvedOptions;
  private readonly rules: ClaimRules;
  private readonly jwks: JwksClient;
  private readonly feed: RevocationFeed;
  private readonly revocations: RevocationCache;
  private readonly verified: VerifiedTokenCache<GatehouseClaims>;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly initialJwks: Promise<void>;
  private readonly signals: SignalReporter | undefined;
  private state: FeedState = 'connecting';
  private lostAt: number | undefined;
  private lastConnectError: string | undefined;
  private liveWaiters = new Set<() => void>();
  private readonly createdAt = Date.now();

  constructor(options: VerifierOptions) {
    this.options = resolveOptions(options);
    const { issuer, audience, leewaySeconds, ttlMs } = this.options;
    this.rules = Object.freeze({ issuer, audience, leewaySeconds, maxLifetimeSeconds: ttlMs / 1000 });
    this.revocations = new RevocationCache(ttlMs + leewaySeconds * 1000);
    this.verified = new VerifiedTokenCache(this.options.cacheSize);
    this.jwks = new JwksClient({ uri: this.options.jwksUri, cooldownMs: this.options.jwksCooldownMs, timeoutMs: 5000 });
    this.feed = createFeed(options, this.options);
    this.signals = this.options.signals && new SignalReporter(this.options.signals);
    this.initialJwks = this.jwks.refresh();
    this.feed.start(this.feedHandlers());
    this.timers.push(
      setInterval(() => this.verified.prune(Date.now() / 1000, leewaySeconds), CACHE_PRUNE_INTERVAL_MS).unref(),
      setInterval(() => this.revocations.prune(), REVOCATION_PRUNE_INTERVAL_MS).unref(),
      setInterval(() => void this.jwks.refresh(), this.options.jwksRefreshIntervalMs).unref(),
    );
  }

  /**
   * The claims of a valid, unexpired, unrevoked token, or a VerifierError: invalid_token,
   * token_expired, token_revoked (401) or service_unavailable (503: JWKS unreachable, or the
   * feed is down and onFeedLoss says reject). A token seen before skips the signature check,
   * never the revocation check.
   */
  async verify(token: string): Promise<GatehouseClaims> {
    if (this.state !== 'live') await this.assertFeedUsable();
    let claims = this.verified.get(token);
    if (claims === undefined) {
      const fresh = this.verifyFresh(token);
      claims = fresh instanceof Promise ? await fresh : fresh;
      this.verified.set(token, claims);
    } else if (isExpired(claims.exp, Date.now() / 1000, this.rules.leewaySeconds)) {
      this.verified.delete(token);
      throw new VerifierError('token_expired');
    }
    this.assertNotRevoked(claims);
    return claims;
  }

  /**
   * Tells Gatehouse (`POST /oauth/signals`) about the session of these verified claims:
   * 'forbidden' counts towards its `repeated_forbidden` anomaly, 'suspicious' raises `reported`.
   * Identifies the session by `sid` (the user by `sub` only without one), never the token. Only queues the signal and
   * returns at once: true if queued, false if dropped (queue full or verifier closed; see
   * `status().signals`). Throws a TypeError if signals are off (no URL or client credentials).
   */
  report(claims: Partial<Pick<GatehouseClaims, 'sid' | 'sub'>>, type: SignalType, detail?: string): boolean {
    if (!this.signals) {
      throw new TypeError('verifier.report: signals are off (give createVerifier "signals: { clientId, clientSecret }" or use the SSE feed)');
    }
    return this.signals.enqueue(signalBody(claims, type, detail));
  }

  /** Whether report() can send (signals configured), for adapters that check at setup. */
  get canReport(): boolean {
    return this.signals !== undefined;
  }

  /** The rules this verifier applies (for adapters such as the Passport strategy). */
  get settings(): Readonly<ClaimRules> {
    return this.rules;
  }

  /**
   * For libraries that check the signature themselves (passport-jwt): the header rules, then
   * the key Gatehouse's JWKS publishes for the token's kid (refetched once for an unknown kid).
   */
  async signingKeyFor(token: string): Promise<{ kid: string; key: KeyObject }> {
    const parsed = parseToken(token);
    return { kid: parsed.kid, key: await this.keyFor(parsed.kid) };
  }

  /**
   * For a payload whose signature a library verified with `signingKeyFor`'s key: the feed-loss
   * policy, the claim rules and the revocation check, exactly as verify() applies them.
   */
  async verifySignedPayload(payload: Record<string, unknown>, kid: string): Promise<GatehouseClaims> {
    if (this.state !== 'live') await this.assertFeedUsable();
    const claims = checkClaims(payload, kid, this.rules, Date.now() / 1000);
    this.assertNotRevoked(claims);
    return claims;
  }

  private assertNotRevoked(claims: GatehouseClaims): void {
    const revoked = this.revocations.check({
      sid: claims.sid,
      sub: claims.sub,
      kid: claims.kid,
      authTimeMs: claims.auth_time * 1000,
    });
    // The list forgets a kid after TTL + leeway; a token signed late by a lagging instance outlives that.
    if (revoked || this.jwks.isRevoked(claims.kid)) throw new VerifierError('token_revoked');
  }

  /** Resolves once the feed is live and the JWKS loaded; rejects (503) after startupTimeoutMs. */
  async ready(): Promise<void> {
    if (this.state !== 'live') await this.waitUntilLive(this.options.startupTimeoutMs);
    await this.initialJwks;
    if (this.jwks.fetchedAt === undefined) await this.jwks.refresh();
    if (this.jwks.fetchedAt === undefined) throw new VerifierError('service_unavailable', this.jwks.lastError);
  }

  status(): VerifierStatus {
    const acceptingUntil =
      this.state === 'lost' && this.options.onFeedLoss === 'accept' ? (this.lostAt ?? 0) + this.options.ttlMs : undefined;
    return {
      feed: {
        transport: this.feed.transport,
        state: this.state,
        lostSince: this.state === 'lost' ? iso(this.lostAt) : null,
        lastEventId: this.feed.lastEventId ?? null,
        lastError: this.feed.lastError ?? null,
        connections: this.feed.connections,
      },
      onFeedLoss: this.options.onFeedLoss,
      accepting: this.state === 'live' || (acceptingUntil !== undefined && Date.now() <= acceptingUntil),
      acceptingUntil: iso(acceptingUntil),
      jwks: { kids: this.jwks.kids, fetchedAt: iso(this.jwks.fetchedAt), lastError: this.jwks.lastError ?? null },
      revocations: this.revocations.size,
      cachedTokens: this.verified.size,
      signals: this.signals?.status() ?? null,
    };
  }

  /**
   * Stops the feed and the timers (verify() rejects afterwards), and sends the queued signals
   * for at most `signals.closeTimeoutMs`, dropping what is left.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const timer of this.timers) clearInterval(timer);
    this.wakeLiveWaiters();
    await Promise.all([this.feed.close(), this.signals?.close()]);
  }

  private verifyFresh(token: string): GatehouseClaims | Promise<GatehouseClaims> {
    const parsed = parseToken(token);
    if (this.jwks.isRevoked(parsed.kid)) throw new VerifierError('token_revoked');
    const key = this.jwks.get(parsed.kid);
    // The common case stays synchronous: no promise, no microtask.
    if (key) return this.checkSignedClaims(parsed, key);
    return this.keyFor(parsed.kid).then((found) => this.checkSignedClaims(parsed, found));
  }

  private async keyFor(kid: string): Promise<KeyObject> {
    if (this.jwks.isRevoked(kid)) throw new VerifierError('token_revoked');
    const known = this.jwks.get(kid);
    if (known) return known;
    const lookup = await this.jwks.lookupUnknown(kid);
    if ('key' in lookup) return lookup.key;
    if ('revoked' in lookup) throw new VerifierError('token_revoked');
    if (lookup.fetchFailed) throw new VerifierError('service_unavailable', 'The signing keys could not be loaded; retry later.');
    throw new VerifierError('invalid_token', 'The access token was signed by an unknown key.');
  }

  private checkSignedClaims(parsed: ParsedToken, key: KeyObject): GatehouseClaims {
    if (!hasValidSignature(parsed, key)) throw new VerifierError('invalid_token');
    return readClaims(parsed, this.rules, Date.now() / 1000);
  }

  /** The feed-loss policy; only reached when the feed is not live. */
  private async assertFeedUsable(): Promise<void> {
    // Only the first startupTimeoutMs after creation wait; later, a feed that never came up answers at once.
    if (this.state === 'connecting') await this.waitUntilLive(this.createdAt + this.options.startupTimeoutMs - Date.now());
    if (this.state === 'closed') throw new VerifierError('service_unavailable', 'The token verifier is closed.');
    if (this.state !== 'lost') return;
    const withinGrace = this.options.onFeedLoss === 'accept' && Date.now() - (this.lostAt ?? 0) <= this.options.ttlMs;
    if (!withinGrace) {
      throw new VerifierError('service_unavailable', 'Revocations cannot be checked right now; retry later.');
    }
  }

  private waitUntilLive(timeoutMs: number): Promise<void> {
    if (this.state === 'live') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new VerifierError('service_unavailable', 'The token verifier is closed.'));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.liveWaiters.delete(done);
        if (this.state === 'live') resolve();
        else reject(new VerifierError('service_unavailable', 'The revocation feed is not connected yet; retry later.'));
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.liveWaiters.add(done);
    });
  }

  private wakeLiveWaiters(): void {
    for (const waiter of [...this.liveWaiters]) waiter();
  }

  private feedHandlers(): FeedHandlers {
    const { logger } = this.options;
    return {
      onRevocation: (revocation: Revocation) => {
        this.revocations.apply(revocation);
        if (revocation.kid) this.jwks.revoke(revocation.kid);
      },
      onKeysChanged: () => void this.jwks.refresh(),
      onLive: () => {
        if (this.state === 'closed') return;
        if (this.state === 'lost') logger.info?.(`revocation feed is back (lost for ${Date.now() - (this.lostAt ?? 0)} ms)`);
        this.state = 'live';
        this.lostAt = undefined;
        this.wakeLiveWaiters();
      },
      onLost: (reason: string) => {
        if (this.state === 'connecting' && reason !== this.lastConnectError) {
          // Wrong credentials or URL would otherwise only show in status().
          this.lastConnectError = reason;
          logger.warn(`revocation feed not connected yet (${reason}); retrying`);
        }
        if (this.state !== 'live') return;
        this.state = 'lost';
        this.lostAt = Date.now();
        const policy =
          this.options.onFeedLoss === 'accept'
            ? `accepting tokens for at most ${this.options.ttlMs / 1000} s while it reconnects`
            : 'rejecting every token until it is back';
        logger.warn(`revocation feed lost (${reason}); ${policy}`);
      },
    };
  }
}

/** Starts the JWKS fetch and the revocation feed at once; `await verifier.ready()` before serving if you like. */
export function createVerifier(options: VerifierOptions): GatehouseVerifier {
  return new GatehouseVerifier(options);
}
