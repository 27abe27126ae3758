import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseConnection } from '../../src/database/database-connection.js';
import { Transactions } from '../../src/database/transactions.service.js';
import { MailOutbox } from '../../src/mail/mail-outbox.service.js';
import { bearer, eventually, uniqueEmail } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

/**
 * `npm start` on a fresh machine: no DATABASE_URL (embedded PGlite under DATA_DIR), no Redis
 * (in-process bus), no KEY_ENCRYPTION_SECRET (generated into DATA_DIR). Empty strings count as
 * unset, as they do in a .env file copied from .env.example.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-embedded-'));
const EMBEDDED_ENV = { DATABASE_URL: '', REDIS_URL: '', KEY_ENCRYPTION_SECRET: '', DATA_DIR: dataDir };
// testEnv() derives a Redis channel name from this URL; no database is created for it.
const UNUSED_URL = 'postgresql://embedded.invalid/embedded';

function startEmbedded(): Promise<TestApp> {
  return startApp({ databaseUrl: UNUSED_URL, env: EMBEDDED_ENV });
}

const opened: TestApp[] = [];

afterAll(async () => {
  for (const app of opened) await app.close().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

describe('embedded database (no DATABASE_URL, no REDIS_URL)', () => {
  const email = uniqueEmail('embedded');
  const password = 'embedded password';
  let refreshToken: string;

  it('boots on PGlite under DATA_DIR with the in-process bus', async () => {
    const t = await startEmbedded();
    opened.push(t);
    expect(t.config.get('DATABASE_URL')).toBeUndefined();
    expect(t.config.get('REDIS_URL')).toBeUndefined();
    expect(t.app.get(DatabaseConnection).embedded).toBe(true);
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'key-encryption-secret'))).toBe(true);

    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ database: 'up', redis: 'off' });
    // PGlite compiles its WASM and runs initdb on first boot: seconds when the machine is quiet,
    // past the default 30 s when a loaded machine gives it a fraction of a core.
  }, 120_000);

  it('register, login, refresh, revoke and logout work', async () => {
    const t = opened[0];
    const registered = await t.http.post('/auth/register').send({ email, password });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);

    const login = await t.http.post('/auth/login').send({ email, password });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect((await t.http.get('/users/me').set(bearer(login.body.accessToken))).body.user.email).toBe(email);

    const refreshed = await t.http.post('/auth/refresh').send({ refreshToken: login.body.refreshToken });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(login.body.refreshToken);
    // Parallel refreshes on the single embedded connection still agree on one successor.
    const parallel = await Promise.all([1, 2, 3].map(() => t.http.post('/auth/refresh').send({ refreshToken: refreshed.body.refreshToken })));
    for (const res of parallel) expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(new Set(parallel.map((res) => res.body.refreshToken)).size).toBe(1);

    // A second session, logged out: revocation works without Redis.
    const other = await t.http.post('/auth/login').send({ email, password });
    expect((await t.http.post('/auth/logout').set(bearer(other.body.accessToken))).status).toBe(204);
    const revoked = await t.http.get('/users/me').set(bearer(other.body.accessToken));
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('token_revoked');

    refreshToken = parallel[0].body.refreshToken;
  });

  it('after a restart on the same DATA_DIR, the user still logs in and the session still refreshes', async () => {
    const first = opened[0];
    const kid = (await first.http.get('/.well-known/jwks.json')).body.keys[0].kid;
    await first.close();
    opened.length = 0;

    const t = await startEmbedded();
    opened.push(t);
    const login = await t.http.post('/auth/login').send({ email, password });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect((await t.http.get('/users/me').set(bearer(login.body.accessToken))).status).toBe(200);
    // Same signing key (decrypted with the generated secret kept in DATA_DIR), same sessions.
    expect((await t.http.get('/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
    const refreshed = await t.http.post('/auth/refresh').send({ refreshToken });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
  }, 120_000); // boots PGlite again

  it('the mail outbox works on PGlite too: queued in a transaction, claimed (FOR UPDATE SKIP LOCKED) and delivered once each', async () => {
    const t = opened[0];
    const outbox = t.app.get(MailOutbox);
    const recipients = Array.from({ length: 12 }, (_, i) => uniqueEmail(`pglite${i}`));
    await t.app.get(Transactions).run(async (tx) => {
      for (const to of recipients) await outbox.enqueueIn(tx, { kind: 'email_verification', to, content: { subject: 'PGlite', text: 'text', html: '<p>html</p>' } });
    });
    outbox.nudge();
    await eventually(async () => {
      const { mails } = await outbox.list({ status: 'sent', limit: 100 });
      const ours = mails.filter((mail) => recipients.includes(mail.to));
      expect(ours).toHaveLength(recipients.length);
      for (const mail of ours) expect(mail).toMatchObject({ attempts: 1, transport: 'log' });
    }, 10_000);
  });
});
