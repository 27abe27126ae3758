import { z } from 'zod';
import { normalizeIssuer } from '@gatehouse/verifier/core';
import { TRUST_PROXY_TRUE_REFUSED, trustProxySchema } from './trust-proxy.js';

import { anomalyPolicySchema } from './anomaly-policy.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();
const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const clientList = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const clients = new Map<string, string>();
    for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
      const colon = entry.indexOf(':');
      if (colon <= 0 || colon === entry.length - 1) {
        ctx.addIssue({ code: 'custom', message: 'expected id:secret pairs separated by commas' });
        return z.NEVER;
      }
      clients.set(entry.slice(0, colon), entry.slice(colon + 1));
    }
    return clients;
  });

/** Every environment variable Gatehouse reads. `.env.example` documents each one. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATA_DIR: z.string().default('./data'),
  DATABASE_POOL_SIZE: int(1, 100).default(10),
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  REVOCATION_CHANNEL: z.string().min(1).default('gatehouse:revocations'),
  REDIS_KEY_PREFIX: z.string().min(1).max(200).default('gatehouse:'),
  REVOCATION_SYNC_INTERVAL_MS: int(50, 60_000).default(1000),
  // PostgreSQL LISTEN/NOTIFY as a push channel beside Redis (off on the embedded database).
  REVOCATION_LISTEN: bool.default(true),
  REVOCATION_RETENTION_SECONDS: int(0, 86_400).default(900),
  // Normalised once here: every `iss` and the RFC 8414 `issuer` are this exact string.
  JWT_ISSUER: z
    .string()
    .trim()
    .default('http://localhost:3000')
    .transform((raw, ctx) => {
      try {
        return normalizeIssuer(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  JWT_AUDIENCE: z.string().min(1).default('gatehouse'),
  // RFC 9068 2.2 client_id: the client Gatehouse's own login and refresh issue tokens to.
  ACCESS_TOKEN_CLIENT_ID: z.string().trim().min(1).max(128).default('gatehouse'),
  ACCESS_TOKEN_TTL_SECONDS: int(10, 86_400).default(300),
  CLOCK_SKEW_SECONDS: int(0, 30).default(5),
  REFRESH_TOKEN_TTL_SECONDS: int(60, 31_536_000).default(2_592_000),
  REFRESH_REUSE_GRACE_SECONDS: int(0, 300).default(10),
  BCRYPT_COST: int(4, 15).default(12),
  PASSWORD_HASH_CONCURRENCY: int(1, 64).optional(),
  PASSWORD_HASH_QUEUE_TIMEOUT_MS: int(0, 60_000).default(2000),
  PASSWORD_HASH_QUEUE_PER_CALLER: int(1, 1000).default(8),
  KEY_ENCRYPTION_SECRET: optionalString.pipe(z.string().min(32).optional()),
  KEY_ENCRYPTION_OLD_SECRETS: optionalString,
  BOOTSTRAP_ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
  BOOTSTRAP_ADMIN_PASSWORD: optionalString.pipe(z.string().min(8).max(256).optional()),
  INTROSPECTION_CLIENTS: clientList,
  SSE_HEARTBEAT_SECONDS: int(1, 300).default(15),
  SSE_MAX_STREAMS_PER_CLIENT: int(1, 10_000).default(10),
  SSE_SLOW_CONSUMER_SECONDS: int(1, 600).default(30),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((raw) => raw.split(',').map((origin) => origin.trim()).filter(Boolean)),
  COOKIE_SECURE: bool.default(true),
  UI_ENABLED: bool.default(true),
  RATE_LIMIT_AUTH_PER_MINUTE: int(1, 1_000_000).default(30),
  RATE_LIMIT_PASSWORD_PER_USER_PER_MINUTE: int(1, 1_000_000).default(10),
  LOGIN_LOCKOUT_THRESHOLD: int(1, 1_000_000).default(10),
  LOGIN_LOCKOUT_BASE_SECONDS: int(1, 86_400).default(60),
  LOGIN_LOCKOUT_MAX_SECONDS: int(1, 86_400).default(900),
  LOGIN_LOCKOUT_DECAY_SECONDS: int(1, 604_800).default(900),
  RETENTION_INTERVAL_SECONDS: z.coerce.number().int().refine((value) => value === 0 || (value >= 10 && value <= 604_800), {
    message: 'expected 0 (off) or 10 to 604800',
  }).default(3600),
  RETENTION_BATCH_SIZE: int(1, 100_000).default(1000),
  AUDIT_RETENTION_DAYS: int(1, 36_500).default(365),
  SESSION_RETENTION_DAYS: int(1, 36_500).default(30),
  ROTATED_REFRESH_TOKEN_RETENTION_DAYS: int(1, 36_500).default(7),
  TRUST_PROXY: trustProxySchema,
  // Slow or unfinished requests (issue 8 #10): headers and body must arrive within this.
  REQUEST_TIMEOUT_MS: int(100, 600_000).default(10_000),
  KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(72_000),
  // Graceful stop: how long SIGTERM/SIGINT waits for request handlers already running.
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(10_000),
  // /metrics and /docs exposure (issue 8 #11).
  METRICS_TOKEN: optionalString.pipe(z.string().min(16).optional()),
  METRICS_PORT: z
    .string()
    .trim()
    .regex(/^\d*$/, 'expected a port number')
    .transform((value) => (value === '' ? undefined : Number(value)))
    .pipe(z.number().max(65_535).optional())
    .optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DOCS_ENABLED: bool.optional(),
  ACCESS_LOG: bool.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Mail (DESIGN.md "Mail"): unset SMTP_URL means the log transport of API.md.
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/ }).optional()),
  MAIL_FROM: z.string().trim().min(3).max(320).regex(/@/, 'must contain an address').default('Gatehouse <no-reply@localhost>'),
  // Where users reach Gatehouse and its UI: mail links, and its origin passes the cookie-mode CSRF check.
  PUBLIC_APP_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  MAIL_POLL_INTERVAL_MS: int(10, 60_000).default(1000),
  MAIL_MAX_ATTEMPTS: int(1, 100).default(10),
  MAIL_RETRY_BASE_MS: int(10, 3_600_000).default(15_000),
  MAIL_RETRY_MAX_MS: int(10, 86_400_000).default(3_600_000),
  MAIL_SEND_TIMEOUT_MS: int(100, 300_000).default(30_000),
  PASSWORD_RESET_TTL_SECONDS: int(60, 86_400).default(1800),
  EMAIL_VERIFICATION_TTL_SECONDS: int(60, 2_592_000).default(86_400),
  PASSWORD_RESET_REQUESTS_PER_HOUR: int(1, 1000).default(5),
  EMAIL_VERIFICATION_MAILS_PER_HOUR: int(1, 1000).default(5),
  REQUIRE_EMAIL_VERIFICATION: bool.default(false),
  // Anomalies (API.md "Anomalies"): what each detected type does; refused at boot if malformed.
  ANOMALY_POLICY: anomalyPolicySchema,
  // Detector thresholds: counted across instances (Redis, else the database) within the window.
  ANOMALY_FORBIDDEN_THRESHOLD: int(1, 1_000_000).default(5),
  ANOMALY_FAILED_LOGIN_THRESHOLD: int(1, 1_000_000).default(10),
  ANOMALY_WINDOW_SECONDS: int(1, 86_400).default(300),
  ANOMALY_HISTORY_DAYS: int(1, 3650).default(90),
  // POST /oauth/signals per resource-server client per minute (then 429).
  RATE_LIMIT_SIGNALS_PER_MINUTE: int(1, 1_000_000).default(600),
});

export type ConfigValues = z.output<typeof configSchema>;

const PLACEHOLDER = /change[-_ ]?me|placeholder|replace[-_ ]?this|your[-_ ]secret/i;

/**
 * Parses the environment once. Throws a ConfigError naming every bad variable; the caller
 * prints it and exits non-zero.
 */
export function parseConfig(env: Record<string, string | undefined>): ConfigValues {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (config.NODE_ENV === 'production') {
    if (!config.KEY_ENCRYPTION_SECRET || PLACEHOLDER.test(config.KEY_ENCRYPTION_SECRET)) {
      throw new ConfigError(
        'Invalid configuration:\n  KEY_ENCRYPTION_SECRET: required in production (32+ characters, not a placeholder)',
      );
    }
    if (config.TRUST_PROXY === true) throw new ConfigError(`Invalid configuration:\n  ${TRUST_PROXY_TRUE_REFUSED}`);
    if (!config.COOKIE_SECURE) {
      // A refresh cookie without Secure travels over plain http (API.md: local development only).
      throw new ConfigError('Invalid configuration:\n  COOKIE_SECURE: must not be false in production');
    }
  }
  if (config.LOGIN_LOCKOUT_MAX_SECONDS < config.LOGIN_LOCKOUT_BASE_SECONDS) {
    throw new ConfigError(
      'Invalid configuration:\n  LOGIN_LOCKOUT_MAX_SECONDS: must be at least LOGIN_LOCKOUT_BASE_SECONDS (it caps the doubling lock)',
    );
  }
  if (Boolean(config.BOOTSTRAP_ADMIN_EMAIL) !== Boolean(config.BOOTSTRAP_ADMIN_PASSWORD)) {
    throw new ConfigError(
      'Invalid configuration:\n  BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD: set both or neither',
    );
  }
  return config;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
