import { describe, expect, it } from 'vitest';
import { AppConfig } from './app-config.js';
import { ConfigError, parseConfig } from './config.schema.js';

const SECRET = 'a-real-secret-with-more-than-32-characters-0123';

function parseError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected parseConfig to throw');
}

describe('parseConfig', () => {
  it('has working defaults for an empty environment (npm start on a fresh machine)', () => {
    const sut = parseConfig({});
    expect(sut).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      ACCESS_TOKEN_TTL_SECONDS: 300,
      REFRESH_TOKEN_TTL_SECONDS: 2_592_000,
      REFRESH_REUSE_GRACE_SECONDS: 10,
      BCRYPT_COST: 12,
      COOKIE_SECURE: true,
      CORS_ORIGINS: [],
    });
    expect(sut.DATABASE_URL).toBeUndefined();
    expect(sut.REDIS_URL).toBeUndefined();
  });

  it.each([
    ['https://auth.example.com/', 'https://auth.example.com'],
    ['https://Auth.Example.com//', 'https://auth.example.com'],
    ['https://auth.example.com:443/tenant/a/', 'https://auth.example.com/tenant/a'],
    ['http://localhost:3000', 'http://localhost:3000'],
  ])('normalises JWT_ISSUER %s to one spelling (%s)', (raw, normalised) => {
    expect(parseConfig({ JWT_ISSUER: raw }).JWT_ISSUER).toBe(normalised);
  });

  it('names the RFC 9068 client_id gatehouse unless told otherwise', () => {
    expect(parseConfig({}).ACCESS_TOKEN_CLIENT_ID).toBe('gatehouse');
    expect(parseConfig({ ACCESS_TOKEN_CLIENT_ID: 'web' }).ACCESS_TOKEN_CLIENT_ID).toBe('web');
  });

  it('treats empty and blank URLs as unset (embedded database, in-process bus)', () => {
    const sut = parseConfig({ DATABASE_URL: '', REDIS_URL: '  ', KEY_ENCRYPTION_SECRET: '' });
    expect(sut.DATABASE_URL).toBeUndefined();
    expect(sut.REDIS_URL).toBeUndefined();
    expect(sut.KEY_ENCRYPTION_SECRET).toBeUndefined();
  });

  it('coerces numbers and booleans and splits lists', () => {
    const sut = parseConfig({
      PORT: '8080',
      COOKIE_SECURE: 'false',
      TRUST_PROXY: '1',
      CORS_ORIGINS: 'https://a.example, https://b.example,',
      INTROSPECTION_CLIENTS: 'api:s3cret, billing:other:colon',
      DATABASE_URL: 'postgresql://u:p@db:5432/gatehouse',
      REDIS_URL: 'redis://cache:6379',
    });
    expect(sut.PORT).toBe(8080);
    expect(sut.COOKIE_SECURE).toBe(false);
    expect(sut.TRUST_PROXY).toBe(1); // one hop, not "every hop" (issue 8 #4)
    expect(sut.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect([...sut.INTROSPECTION_CLIENTS]).toEqual([['api', 's3cret'], ['billing', 'other:colon']]);
    expect(sut.DATABASE_URL).toBe('postgresql://u:p@db:5432/gatehouse');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['ACCESS_TOKEN_TTL_SECONDS', '5'],
    ['BCRYPT_COST', '3'],
    ['BCRYPT_COST', '12.5'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['COOKIE_SECURE', 'yes'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['KEY_ENCRYPTION_SECRET', 'too-short'],
    ['INTROSPECTION_CLIENTS', 'no-secret-here'],
    ['BOOTSTRAP_ADMIN_EMAIL', 'not-an-email'],
    ['JWT_ISSUER', 'auth.example.com'],
    ['JWT_ISSUER', 'https://auth.example.com/?tenant=1'],
    ['JWT_ISSUER', 'ftp://auth.example.com'],
    ['ACCESS_TOKEN_CLIENT_ID', ' '],
    ['SMTP_URL', 'http://mail.example:25'],
    ['SMTP_URL', 'not a url'],
    ['MAIL_FROM', 'no address here'],
    ['PUBLIC_APP_URL', 'ftp://app.example'],
    ['MAIL_POLL_INTERVAL_MS', '0'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '0'],
    ['TRUST_PROXY', '1.5'],
    ['METRICS_TOKEN', 'short'],
    ['METRICS_PORT', '70000'],
    ['REQUEST_TIMEOUT_MS', '10'],
    ['DOCS_ENABLED', 'maybe'],
  ])('rejects a bad %s (%s) with a message naming the variable', (name, value) => {
    const env: Record<string, string> = { [name]: value };
    if (name === 'BOOTSTRAP_ADMIN_EMAIL') env.BOOTSTRAP_ADMIN_PASSWORD = 'long-enough-password';
    const error = parseError(env);
    expect(error.message).toContain(`${name}:`);
  });

  it('mail: smtp:// and smtps:// URLs; PUBLIC_APP_URL defaults to the issuer, without a trailing slash', () => {
    expect(parseConfig({ SMTP_URL: 'smtps://u:p@mail.example:465' }).SMTP_URL).toBe('smtps://u:p@mail.example:465');
    expect(parseConfig({ SMTP_URL: '' }).SMTP_URL).toBeUndefined();
    expect(AppConfig.fromEnv({ JWT_ISSUER: 'https://auth.example/' }).publicAppUrl).toBe('https://auth.example');
    expect(AppConfig.fromEnv({ PUBLIC_APP_URL: 'https://app.example/' }).publicAppUrl).toBe('https://app.example');
  });

  it('names every bad variable at once', () => {
    const error = parseError({ PORT: 'x', BCRYPT_COST: '99' });
    expect(error.message).toContain('PORT:');
    expect(error.message).toContain('BCRYPT_COST:');
  });

  it('refuses production without KEY_ENCRYPTION_SECRET', () => {
    expect(parseError({ NODE_ENV: 'production' }).message).toContain('KEY_ENCRYPTION_SECRET');
    expect(parseError({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: '' }).message).toContain('KEY_ENCRYPTION_SECRET');
  });

  it('refuses production with a placeholder KEY_ENCRYPTION_SECRET', () => {
    const error = parseError({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: 'change-me-change-me-change-me-change-me' });
    expect(error.message).toContain('KEY_ENCRYPTION_SECRET');
  });

  it('refuses COOKIE_SECURE=false in production (plain-http local development only, API.md)', () => {
    const error = parseError({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, COOKIE_SECURE: 'false' });
    expect(error.message).toContain('COOKIE_SECURE');
    expect(parseConfig({ NODE_ENV: 'development', COOKIE_SECURE: 'false' }).COOKIE_SECURE).toBe(false);
  });

  it('accepts production with a real secret, and development without one', () => {
    expect(parseConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET }).KEY_ENCRYPTION_SECRET).toBe(SECRET);
    expect(parseConfig({ NODE_ENV: 'development' }).KEY_ENCRYPTION_SECRET).toBeUndefined();
  });

  it('requires both bootstrap admin variables or neither', () => {
    expect(parseError({ BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com' }).message).toContain('BOOTSTRAP_ADMIN_PASSWORD');
    expect(parseError({ BOOTSTRAP_ADMIN_PASSWORD: 'long-enough-password' }).message).toContain('BOOTSTRAP_ADMIN_EMAIL');
    const sut = parseConfig({ BOOTSTRAP_ADMIN_EMAIL: ' admin@example.com ', BOOTSTRAP_ADMIN_PASSWORD: 'long-enough-password' });
    expect(sut.BOOTSTRAP_ADMIN_EMAIL).toBe('admin@example.com');
  });

  it('never echoes a secret value in its error message', () => {
    const error = parseError({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: 'placeholder-secret-value-that-is-long-enough' });
    expect(error.message).not.toContain('placeholder-secret-value-that-is-long-enough');
  });

  describe('TRUST_PROXY (issue 8 #4: Fastify trustProxy semantics)', () => {
    it.each([
      ['false', false],
      ['', false],
      ['2', 2],
      ['10.0.0.0/8', ['10.0.0.0/8']],
      [' 10.0.0.1, 192.168.0.0/16 ,fd00::/8', ['10.0.0.1', '192.168.0.0/16', 'fd00::/8']],
      ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
      ['true', true],
    ])('%j parses to %j outside production', (raw, parsed) => {
      expect(parseConfig({ TRUST_PROXY: raw }).TRUST_PROXY).toEqual(parsed);
    });

    it('refuses plain true in production, saying why and what to use instead', () => {
      const error = parseError({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, TRUST_PROXY: 'TRUE' });
      expect(error.message).toContain('TRUST_PROXY');
      expect(error.message).toMatch(/every X-Forwarded-For hop/);
      expect(error.message).toMatch(/choose its own IP/);
      expect(error.message).toMatch(/hop count|CIDR/);
      expect(parseConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    });
  });
});
