/**
 * @gatehouse/verifier/core: what Gatehouse's server and this package share, without the feed,
 * the JWKS client or any adapter: the token rules, the revocation cache, the verified-token
 * cache and the token error codes (DESIGN.md "Resource servers": one set of rules, used by both).
 */
export * from './token-rules.js';
export { TOKEN_ERRORS, VerifierError, bearerChallenge, type VerifierErrorBody, type VerifierErrorCode } from './errors.js';
export { RevocationCache, type Revocation, type RevocationCheck } from './revocation-cache.js';
export { VerifiedTokenCache } from './verified-token-cache.js';
