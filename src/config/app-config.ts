import { parseConfig, type ConfigValues } from './config.schema.js';

/**
 * Typed, validated configuration. Built once at boot from the environment (or, in tests,
 * from explicit overrides) and injected everywhere else; nothing reads process.env directly.
 */
export class AppConfig {
  readonly values: ConfigValues;

  constructor(values: ConfigValues) {
    this.values = Object.freeze({ ...values });
  }

  static fromEnv(env: Record<string, string | undefined> = process.env): AppConfig {
    return new AppConfig(parseConfig(env));
  }

  get<K extends keyof ConfigValues>(key: K): ConfigValues[K] {
    return this.values[key];
  }

  get isProduction(): boolean {
    return this.values.NODE_ENV === 'production';
  }

  /** Base of the links in mails: PUBLIC_APP_URL, else the server's own URL (the issuer), without a trailing slash. */
  get publicAppUrl(): string {
    return (this.values.PUBLIC_APP_URL ?? this.values.JWT_ISSUER).replace(/\/+$/, '');
  }

  /** /docs and /docs-json: on outside production unless DOCS_ENABLED=false, off in production unless true. */
  get docsEnabled(): boolean {
    return this.values.DOCS_ENABLED ?? !this.isProduction;
  }

  /**
   * Where /metrics is served: on its own listener (METRICS_PORT), on the API port behind a bearer
   * (METRICS_TOKEN), publicly outside production only, and not at all in production without either.
   */
  get metricsExposure(): 'own-port' | 'token' | 'public' | 'off' {
    if (this.values.METRICS_PORT !== undefined) return 'own-port';
    if (this.values.METRICS_TOKEN) return 'token';
    return this.isProduction ? 'off' : 'public';
  }

  /**
   * Gatehouse's own browser origin, that of publicAppUrl (PUBLIC_APP_URL, else the issuer):
   * configured, never taken from a request's Host header, which a client chooses.
   */
  get publicOrigin(): string | undefined {
    try {
      const url = new URL(this.publicAppUrl);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
    } catch {
      return undefined; // an issuer need not be a URL; then only PUBLIC_APP_URL names the origin
    }
  }

  /**
   * How long a revocation must be remembered (from its database-clock time): as long as the
   * longest-lived token any instance may have issued, which is this instance's TTL or, when
   * instances run with different TTLs (a rollout), the REVOCATION_RETENTION_SECONDS floor. Plus
   * two leeways: one for the `exp` check, one for an issuer whose clock runs up to
   * CLOCK_SKEW_SECONDS ahead of the database (each instance warns when its own runs further off).
   */
  get revocationMemoryMs(): number {
    const longestTokenSeconds = Math.max(this.values.ACCESS_TOKEN_TTL_SECONDS, this.values.REVOCATION_RETENTION_SECONDS);
    return (longestTokenSeconds + 2 * this.values.CLOCK_SKEW_SECONDS) * 1000;
  }
}
