/**
 * @gatehouse/verifier: verify Gatehouse access tokens in a resource server, with revocations
 * applied from a live feed. No NestJS (or Redis client, unless the Redis feed is chosen) needed;
 * the adapters live in @gatehouse/verifier/express, /nestjs and /passport.
 */
export { createVerifier, GatehouseVerifier, type FeedState, type VerifierStatus } from './verifier.js';
export type {
  FeedLossPolicy,
  RedisRevocationsOptions,
  SignalsOptions,
  SseRevocationsOptions,
  VerifierOptions,
} from './verifier.options.js';
export type { SignalsStatus, SignalType } from './signal-reporter.js';
export type { FeedLogger } from './revocation-feed.js';
export type { GatehouseClaims, Role } from './token-rules.js';
export { extractBearerToken } from './token-rules.js';
export { TOKEN_ERRORS, VerifierError, bearerChallenge, type VerifierErrorBody, type VerifierErrorCode } from './errors.js';
