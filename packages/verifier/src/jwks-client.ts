import { createPublicKey, type KeyObject } from 'node:crypto';

export interface JwksClientOptions {
  uri: string;
  /** At most one fetch per this many ms for unknown kids (a token cannot make us hammer Gatehouse). */
  cooldownMs: number;
  timeoutMs: number;
}

interface ImportedKey {
  x: string;
  y: string;
  key: KeyObject;
}

export type KeyLookup = { key: KeyObject } | { revoked: true } | { unknown: true; fetchFailed: boolean };

/**
 * The signing keys from Gatehouse's JWKS, imported once into KeyObjects. An unknown kid
 * triggers a refetch (single-flight, rate-limited), so key rotation needs no restart. A key
 * revoked through the feed is dropped at once and never re-added, even by a stale response.
 */
export class JwksClient {
  private keys = new Map<string, ImportedKey>();
  private readonly revokedKids = new Set<string>();
  private inFlight: Promise<void> | undefined;
  private scheduled: Promise<void> | undefined;
  private lastAttemptAt = -Infinity;
  private lastFetchOk = false;
  fetchedAt: number | undefined;
  lastError: string | undefined;
  fetchCount = 0;

  constructor(private readonly options: JwksClientOptions) {}

  get(kid: string): KeyObject | undefined {
    return this.keys.get(kid)?.key;
  }

  isRevoked(kid: string): boolean {
    return this.revokedKids.has(kid);
  }

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /**
   * For a kid not in memory: refetch and look again. Within the cooldown of the previous fetch
   * the caller waits for the next allowed one (shared by every caller), so a key rotated just
   * after a fetch is picked up a moment later instead of failing, while a flood of made-up kids
   * still costs Gatehouse at most one fetch per cooldown.
   */
  async lookupUnknown(kid: string): Promise<KeyLookup> {
    if (this.revokedKids.has(kid)) return { revoked: true };
    await this.nextFetch();
    if (this.revokedKids.has(kid)) return { revoked: true };
    const key = this.keys.get(kid)?.key;
    return key ? { key } : { unknown: true, fetchFailed: !this.lastFetchOk };
  }

  private nextFetch(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const wait = this.lastAttemptAt + this.options.cooldownMs - Date.now();
    if (wait <= 0) return this.refresh();
    this.scheduled ??= new Promise((resolve) => setTimeout(resolve, wait).unref()).then(() => {
      this.scheduled = undefined;
      return this.inFlight ?? this.refresh();
    });
    return this.scheduled;
  }

  /** Fetches the JWKS now (single-flight); never throws, the error is kept in `lastError`. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  revoke(kid: string): void {
    this.revokedKids.add(kid);
    this.keys.delete(kid);
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptAt = Date.now();
    this.fetchCount++;
    try {
      const response = await fetch(this.options.uri, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`);
      this.keys = this.importKeys((await response.json()));
      this.fetchedAt = Date.now();
      this.lastFetchOk = true;
      this.lastError = undefined;
    } catch (error) {
      this.lastFetchOk = false;
      this.lastError = `JWKS fetch from ${this.options.uri} failed: ${(error as Error).message}`;
    }
  }

  /** Only P-256 signature keys for ES256; anything else in the set is ignored. */
  private importKeys(body: unknown): Map<string, ImportedKey> {
    const list = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new Error('JWKS has no "keys" array');
    const next = new Map<string, ImportedKey>();
    for (const jwk of list as Array<Record<string, unknown>>) {
      if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.kid !== 'string') continue;
      if ((jwk.alg !== undefined && jwk.alg !== 'ES256') || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || this.revokedKids.has(jwk.kid)) continue;
      const { kid, x, y } = jwk;
      const known = this.keys.get(kid);
      try {
        const key = known && known.x === x && known.y === y ? known.key : createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
        next.set(kid, { x, y, key });
      } catch {
        // A malformed key must not take the others down with it.
      }
    }
    return next;
  }
}
