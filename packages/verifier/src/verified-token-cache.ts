import { isExpired } from './token-rules.js';

/**
 * Tokens whose signature and claims were already verified, until they expire (the same idea
 * as Envoy jwt_authn's cache). Keyed by the exact token string, so a hit proves the bytes are
 * the ones verified. Bounded: at capacity the oldest entry goes (Map keeps insertion order).
 */
export class VerifiedTokenCache<T extends { exp: number }> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  get(token: string): T | undefined {
    return this.entries.get(token);
  }

  set(token: string, claims: T): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, claims);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  /** Drops expired entries; `nowSeconds` compared with `exp` plus the leeway. */
  prune(nowSeconds: number, leewaySeconds: number): void {
    for (const [token, claims] of this.entries) {
      if (isExpired(claims.exp, nowSeconds, leewaySeconds)) this.entries.delete(token);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
