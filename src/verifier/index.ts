/**
 * gatehouse/verifier: verify Gatehouse access tokens in a resource server, with revocations
 * applied from a live feed. No NestJS (or Redis client, unless the Redis feed is chosen) needed;
 * the Express middleware and the NestJS guard live in ./express.js and ./nestjs.js.
 */
export { createVerifier, GatehouseVerifier, type FeedState, type VerifierStatus } from './verifier.js';
export type {
  FeedLossPolicy,
  RedisRevocationsOptions,
  SseRevocationsOptions,
  VerifierOptions,
} from './verifier.options.js';
export type { GatehouseClaims, Role } from './access-token.js';
export type { FeedLogger } from './revocation-feed.js';
export { VerifierError, VERIFIER_ERRORS, type VerifierErrorBody, type VerifierErrorCode } from './verifier-error.js';
export { extractBearerToken } from './bearer.js';
