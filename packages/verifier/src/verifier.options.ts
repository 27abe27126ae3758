import type { FeedLogger } from './revocation-feed.js';
import type { SignalReporterOptions } from './signal-reporter.js';
import { normalizeIssuer } from './token-rules.js';

/** Follow GET /events/revocations (recommended: it replays what a fresh or reconnecting consumer missed). */
export interface SseRevocationsOptions {
  /** e.g. https://auth.example.com/events/revocations */
  url: string;
  /** A client from Gatehouse's INTROSPECTION_CLIENTS (`id:secret`). */
  clientId: string;
  clientSecret: string;
  /** No byte (Gatehouse pings every 15 s) for this long marks the stream dead. Default 45 000. */
  heartbeatTimeoutMs?: number;
  /** First reconnection delay, doubled per failed attempt up to 10 s. Default 250. */
  reconnectDelayMs?: number;
}

/** Listen on Gatehouse's Redis channel. No backlog: see the README before choosing it. */
export interface RedisRevocationsOptions {
  redisUrl: string;
  /** Gatehouse's REVOCATION_CHANNEL. Default 'gatehouse:revocations'. */
  channel?: string;
}

/**
 * While the revocation feed is down:
 * - 'accept': keep verifying with the revocations known so far, for at most the access-token TTL
 *   after the feed was lost, then reject until the feed is back. A revocation missed meanwhile
 *   is honoured at most one TTL late: the exposure of plain JWTs without any revocation feed;
 * - 'reject': reject every token at once until the feed is back.
 * Either way the rejection is 503 service_unavailable, not 401: the token may be fine.
 */
export type FeedLossPolicy = 'accept' | 'reject';

/**
 * Where `verifier.report()` and the adapters' `reportForbidden` send signals: Gatehouse's
 * `POST /oauth/signals`, authenticated like the feed (HTTP Basic, a client from
 * INTROSPECTION_CLIENTS). Reporting never delays a request: signals are queued (bounded),
 * sent in the background, retried with backoff while Gatehouse is unreachable, and dropped
 * (counted in `status().signals`) when they cannot be sent within these bounds.
 */
export interface SignalsOptions {
  /** Default: `jwksUri` with `/.well-known/jwks.json` replaced by `/oauth/signals`. */
  url?: string;
  /** Default: the SSE feed's `clientId` / `clientSecret` (required with the Redis feed). */
  clientId?: string;
  clientSecret?: string;
  /** A signal waits this long so that a burst goes out together. Default 250. */
  flushIntervalMs?: number;
  /** Signals queued or in flight at most; more are dropped. Default 1000. */
  maxQueued?: number;
  /** Requests to Gatehouse in flight at once. Default 4. */
  maxConcurrent?: number;
  /** Time limit of one request. Default 5000. */
  timeoutMs?: number;
  /** Tries per signal while Gatehouse is unreachable or answers 5xx/429. Default 3. */
  maxAttempts?: number;
  /** Pause after a failure, doubled per consecutive failure up to 10 000. Default 500. */
  retryDelayMs?: number;
  /** close() sends what is queued for at most this long, then drops the rest. Default 2000. */
  closeTimeoutMs?: number;
}

export interface VerifierOptions {
  /** Gatehouse's JWT_ISSUER (the metadata `issuer`); a trailing slash is ignored, as Gatehouse ignores it. */
  issuer: string;
  /** Gatehouse's JWT_AUDIENCE. */
  audience: string;
  /** e.g. https://auth.example.com/.well-known/jwks.json */
  jwksUri: string;
  revocations: SseRevocationsOptions | RedisRevocationsOptions;
  /** Default 'accept'. */
  onFeedLoss?: FeedLossPolicy;
  /**
   * Gatehouse's ACCESS_TOKEN_TTL_SECONDS. Default 300. Also the longest lifetime a token may
   * claim: one whose `exp - iat` exceeds it (plus the leeway) is refused as invalid_token, so
   * set it to at least Gatehouse's value.
   */
  accessTokenTtlSeconds?: number;
  /** Gatehouse's CLOCK_SKEW_SECONDS: leeway for exp/iat. Default 5. */
  clockToleranceSeconds?: number;
  /** How long verify() and ready() wait for the first feed connection. Default 5000. */
  startupTimeoutMs?: number;
  /** Verified tokens kept (token string → claims until exp). Default 100 000. */
  cacheSize?: number;
  /**
   * At most one JWKS fetch per this many ms; a token with an unknown kid waits for the next
   * allowed fetch (so keep it short). Default 1000.
   */
  jwksCooldownMs?: number;
  /** Background JWKS refresh period. Default 300 000. */
  jwksRefreshIntervalMs?: number;
  /** Where feed losses and recoveries are reported. Default: console. `null` silences it. */
  logger?: FeedLogger | null;
  /** Signals to Gatehouse (see SignalsOptions); `false` turns `report()` off. */
  signals?: SignalsOptions | false;
}

export interface ResolvedOptions {
  issuer: string;
  audience: string;
  jwksUri: string;
  onFeedLoss: FeedLossPolicy;
  ttlMs: number;
  leewaySeconds: number;
  startupTimeoutMs: number;
  cacheSize: number;
  jwksCooldownMs: number;
  jwksRefreshIntervalMs: number;
  logger: FeedLogger;
  /** Undefined when signals are off or cannot be sent (no URL or credentials to derive). */
  signals: SignalReporterOptions | undefined;
}

const SILENT: FeedLogger = { warn: () => undefined, info: () => undefined };
const CONSOLE: FeedLogger = {
  warn: (message) => console.warn(`[gatehouse-verifier] ${message}`),
  info: (message) => console.info(`[gatehouse-verifier] ${message}`),
};

function requireString(options: object, name: string): string {
  const value = (options as Record<string, unknown>)[name];
  if (typeof value !== 'string' || value === '') throw new TypeError(`createVerifier: "${name}" must be a non-empty string`);
  return value;
}

function positive(value: number | undefined, fallback: number, name: string, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new TypeError(`createVerifier: "${name}" must be a number >= ${min}`);
  return value;
}

const JWKS_PATH = '/.well-known/jwks.json';

/** Explicit signals options must be complete; derived ones are simply off when something is missing. */
function resolveSignals(options: VerifierOptions, logger: FeedLogger): SignalReporterOptions | undefined {
  if (options.signals === false) return undefined;
  const signals = options.signals ?? {};
  const feed = 'url' in options.revocations ? options.revocations : undefined;
  const url = signals.url ?? (options.jwksUri.endsWith(JWKS_PATH) ? `${options.jwksUri.slice(0, -JWKS_PATH.length)}/oauth/signals` : undefined);
  const clientId = signals.clientId ?? feed?.clientId;
  const clientSecret = signals.clientSecret ?? feed?.clientSecret;
  if (!url || !clientId || !clientSecret) {
    if (options.signals === undefined) return undefined;
    throw new TypeError('createVerifier: "signals" needs url, clientId and clientSecret (derived from jwksUri and an SSE feed when absent)');
  }
  const number = (name: keyof SignalsOptions, fallback: number, min: number) =>
    positive(signals[name] as number | undefined, fallback, `signals.${name}`, min);
  return {
    url,
    clientId,
    clientSecret,
    flushIntervalMs: number('flushIntervalMs', 250, 0),
    maxQueued: number('maxQueued', 1000, 1),
    maxConcurrent: number('maxConcurrent', 4, 1),
    timeoutMs: number('timeoutMs', 5000, 1),
    maxAttempts: number('maxAttempts', 3, 1),
    retryDelayMs: number('retryDelayMs', 500, 0),
    maxRetryDelayMs: 10_000,
    closeTimeoutMs: number('closeTimeoutMs', 2000, 0),
    logger,
  };
}

export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new TypeError('createVerifier: options are required');
  const revocations = options.revocations as unknown;
  if (!revocations || typeof revocations !== 'object') {
    throw new TypeError('createVerifier: "revocations" must be { url, clientId, clientSecret } or { redisUrl, channel? }');
  }
  if ('redisUrl' in revocations) requireString(revocations, 'redisUrl');
  else for (const name of ['url', 'clientId', 'clientSecret']) requireString(revocations, name);
  if (options.onFeedLoss !== undefined && options.onFeedLoss !== 'accept' && options.onFeedLoss !== 'reject') {
    throw new TypeError('createVerifier: "onFeedLoss" must be \'accept\' or \'reject\'');
  }
  const rawIssuer = requireString(options, 'issuer');
  let issuer: string;
  try {
    issuer = normalizeIssuer(rawIssuer);
  } catch (error) {
    throw new TypeError(`createVerifier: "issuer" ${(error as Error).message}`, { cause: error });
  }
  const logger = options.logger === null ? SILENT : (options.logger ?? CONSOLE);
  return {
    issuer,
    audience: requireString(options, 'audience'),
    jwksUri: requireString(options, 'jwksUri'),
    onFeedLoss: options.onFeedLoss ?? 'accept',
    ttlMs: positive(options.accessTokenTtlSeconds, 300, 'accessTokenTtlSeconds', 1) * 1000,
    leewaySeconds: positive(options.clockToleranceSeconds, 5, 'clockToleranceSeconds'),
    startupTimeoutMs: positive(options.startupTimeoutMs, 5000, 'startupTimeoutMs'),
    cacheSize: positive(options.cacheSize, 100_000, 'cacheSize', 1),
    jwksCooldownMs: positive(options.jwksCooldownMs, 1000, 'jwksCooldownMs'),
    jwksRefreshIntervalMs: positive(options.jwksRefreshIntervalMs, 300_000, 'jwksRefreshIntervalMs', 1000),
    logger,
    signals: resolveSignals(options, logger),
  };
}
