import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, eventually, uniqueEmail } from '../support/factories.js';
import { outboxRow, queueMail, sleep } from '../support/mail.js';
import { TestSmtpServer } from '../support/smtp.js';
import { withClient } from '../support/databases.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

/**
 * The outbox and its worker against a real SMTP server (smtp-server, parsed with mailparser).
 * Mails are queued straight into the table here; the account flows that queue them are tested
 * in their own suites.
 */
const FAST = { MAIL_POLL_INTERVAL_MS: '20' };
const opened: TestApp[] = [];
const servers: TestSmtpServer[] = [];

async function smtp(options: Parameters<typeof TestSmtpServer.start>[0] = {}): Promise<TestSmtpServer> {
  const server = await TestSmtpServer.start(options);
  servers.push(server);
  return server;
}

async function app(databaseUrl: string, env: Record<string, string>): Promise<TestApp> {
  const t = await startApp({ databaseUrl, env: { ...FAST, ...env } });
  opened.push(t);
  return t;
}

afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
  while (servers.length > 0) await servers.pop()!.close();
});

describe('mail outbox delivered over SMTP', () => {
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
  });

  it('delivers a queued mail once, with MAIL_FROM, both bodies and a Message-ID from the row; the stored bodies are erased', async () => {
    const server = await smtp();
    const t = await app(databaseUrl, { SMTP_URL: server.url });
    const to = uniqueEmail('outbox');
    const id = await queueMail(t, { to, subject: 'Hello there' });

    const [mail] = await server.waitForMail(to);
    expect(mail).toMatchObject({ subject: 'Hello there', from: '"Gatehouse Test" <no-reply@gatehouse.test>', messageId: `<${id}@gatehouse.test>` });
    expect(mail.text).toContain(`text of ${id}`);
    expect(mail.html).toContain(`<p>html of ${id}</p>`);
    await eventually(async () => expect((await outboxRow(t, id)).status).toBe('sent'));
    expect(await outboxRow(t, id)).toMatchObject({ attempts: 1, body_text: null, body_html: null, transport: 'smtp', last_error: null });
    await sleep(200);
    expect(server.mailsTo(to)).toHaveLength(1);
  });

  it('an SMTP outage delays the mail, retried with backoff, and it arrives exactly once when the server is back', async () => {
    const port = await TestSmtpServer.freePort();
    const t = await app(databaseUrl, { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_RETRY_BASE_MS: '100', MAIL_RETRY_MAX_MS: '300' });
    const to = uniqueEmail('outage');
    const id = await queueMail(t, { to });
    await eventually(async () => {
      const row = await outboxRow(t, id);
      expect(row.attempts).toBeGreaterThanOrEqual(2);
      expect(row.status).toBe('pending');
      expect(row.last_error).toMatch(/ECONNECTION|ECONNREFUSED/);
    });

    const server = await smtp({ port });
    await server.waitForMail(to);
    await eventually(async () => expect((await outboxRow(t, id)).status).toBe('sent'));
    await sleep(300);
    expect(server.mailsTo(to)).toHaveLength(1);
  });

  it('a restart loses nothing: a mail queued while SMTP was down is sent by the next instance', async () => {
    const port = await TestSmtpServer.freePort();
    const first = await app(databaseUrl, { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_RETRY_BASE_MS: '50' });
    const to = uniqueEmail('restart');
    const id = await queueMail(first, { to });
    await eventually(async () => expect((await outboxRow(first, id)).attempts).toBeGreaterThanOrEqual(1));
    await opened.pop()!.close();

    const server = await smtp({ port });
    const second = await app(databaseUrl, { SMTP_URL: server.url });
    await server.waitForMail(to);
    await eventually(async () => expect((await outboxRow(second, id)).status).toBe('sent'));
    expect(server.mailsTo(to)).toHaveLength(1);
  });

  it('a claim whose instance died mid-send expires and another instance delivers the mail', async () => {
    const server = await smtp();
    const t = await app(databaseUrl, { SMTP_URL: server.url });
    const to = uniqueEmail('orphan');
    const id = await queueMail(t, { to });
    // What a crashed instance leaves behind: claimed, lease in the past. A live lease is left alone.
    const live = await queueMail(t, { to: uniqueEmail('leased') });
    await t.sql(`UPDATE mail_outbox SET status = 'sending', attempts = 1, lease_id = gen_random_uuid(), lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    await t.sql(`UPDATE mail_outbox SET status = 'sending', attempts = 1, lease_id = gen_random_uuid(), lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [live]);

    await server.waitForMail(to);
    await eventually(async () => expect(await outboxRow(t, id)).toMatchObject({ status: 'sent', attempts: 2 }));
    await sleep(200);
    expect((await outboxRow(t, live)).status).toBe('sending');
  });

  it('two instances sharing the outbox send every mail exactly once', async () => {
    const server = await smtp();
    const a = await app(databaseUrl, { SMTP_URL: server.url, MAIL_POLL_INTERVAL_MS: '10' });
    const b = await app(databaseUrl, { SMTP_URL: server.url, MAIL_POLL_INTERVAL_MS: '10' });
    const recipients = Array.from({ length: 60 }, (_, i) => uniqueEmail(`pair${i}`));
    // Queued in one statement so both workers see all of them at once and compete for each.
    await a.sql(
      `INSERT INTO mail_outbox (id, kind, recipient, subject, body_text, body_html)
       SELECT gen_random_uuid(), 'test', r, 'pair', 'text', '<p>html</p>' FROM unnest($1::text[]) AS r`,
      [recipients],
    );
    await eventually(async () => {
      const [row] = await a.sql<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = ANY($1) AND status = 'sent'`, [recipients]);
      expect(row.n).toBe(recipients.length);
    }, 20_000);
    await sleep(300);
    for (const to of recipients) expect(server.mailsTo(to), to).toHaveLength(1);
    expect(server.mails.filter((mail) => mail.subject === 'pair')).toHaveLength(recipients.length);
    // Both instances took part: each counts what it delivered.
    const delivered = async (t: TestApp) =>
      Number(/gatehouse_mail_deliveries_total\{outcome="delivered",kind="test"\} (\d+)/.exec((await t.http.get('/metrics')).text)?.[1] ?? 0);
    const [byA, byB] = [await delivered(a), await delivered(b)];
    expect(byA + byB).toBe(recipients.length);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
  });

  it('a permanent refusal (550) fails the mail at once; admins see it with its error, metrics count it, and can queue it again', async () => {
    const refused = uniqueEmail('refused');
    const server = await smtp({ rejectRecipients: (address) => address === refused });
    const t = await app(databaseUrl, { SMTP_URL: server.url });
    const admin = await createLoggedIn(t, { role: 'admin' });
    const user = await createLoggedIn(t);
    const id = await queueMail(t, { to: refused, kind: 'password_reset', subject: 'Reset' });
    await eventually(async () => expect((await outboxRow(t, id)).status).toBe('failed'));
    const row = await outboxRow(t, id);
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('550');

    const list = await t.http.get('/admin/mail?status=failed').set(admin.bearer);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    const entry = list.body.mails.find((mail: { id: string }) => mail.id === id);
    expect(entry).toMatchObject({ id, kind: 'password_reset', to: refused, status: 'failed', attempts: 1, subject: 'Reset' });
    expect(entry.lastError).toContain('550');
    expect(JSON.stringify(list.body)).not.toContain('text of');
    expect((await t.http.get('/admin/mail').set(user.bearer)).status).toBe(403);
    expect((await t.http.get('/admin/mail?status=lost').set(admin.bearer)).body.code).toBe('validation_failed');

    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/gatehouse_mail_outbox\{status="failed"\} [1-9]/);
    expect(metrics.text).toMatch(/gatehouse_mail_deliveries_total\{outcome="failed",kind="password_reset"\} 1/);

    const retried = await t.http.post(`/admin/mail/${id}/retry`).set(admin.bearer);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.mail).toMatchObject({ id, status: 'pending', attempts: 0 });
    await eventually(async () => expect(await outboxRow(t, id)).toMatchObject({ status: 'failed', attempts: 1 }));
    expect((await t.http.post(`/admin/mail/${id}/retry`).set(admin.bearer)).status).toBe(200);
    expect((await t.http.post(`/admin/mail/00000000-0000-4000-8000-000000000000/retry`).set(admin.bearer)).body.code).toBe('not_found');
  });

  it('a mail that keeps failing is marked failed after MAIL_MAX_ATTEMPTS, with the last error', async () => {
    const port = await TestSmtpServer.freePort();
    const t = await app(databaseUrl, { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_MAX_ATTEMPTS: '3', MAIL_RETRY_BASE_MS: '20' });
    const id = await queueMail(t, { to: uniqueEmail('doomed') });
    await eventually(async () => expect((await outboxRow(t, id)).status).toBe('failed'));
    const row = await outboxRow(t, id);
    expect(row.attempts).toBe(3);
    expect(row.last_error).toMatch(/ECONNECTION|ECONNREFUSED/);
    expect(row.body_text).not.toBeNull(); // kept, so an admin can queue it again
  });

  it('stops cleanly on shutdown: the mail being sent is finished and recorded, the rest of its batch handed back at once', async () => {
    const server = await smtp({ acceptDelayMs: 400 });
    const t = await startApp({ databaseUrl, env: { ...FAST, SMTP_URL: server.url } });
    const recipients = [uniqueEmail('shutdown1'), uniqueEmail('shutdown2'), uniqueEmail('shutdown3')];
    await t.sql(
      `INSERT INTO mail_outbox (id, kind, recipient, subject, body_text, body_html)
       SELECT gen_random_uuid(), 'test', r, 'shutdown', 'text', '<p>html</p>' FROM unnest($1::text[]) AS r`,
      [recipients],
    );
    await eventually(async () => {
      const rows = await t.sql<{ status: string }>(`SELECT status FROM mail_outbox WHERE recipient = ANY($1)`, [recipients]);
      expect(rows.every((row) => row.status === 'sending')).toBe(true);
    });
    await t.close();
    const rows = await withClient(databaseUrl, async (client) =>
      (await client.query<{ status: string; attempts: number; lease_id: string | null }>(`SELECT status, attempts, lease_id FROM mail_outbox WHERE recipient = ANY($1) ORDER BY status`, [recipients])).rows,
    );
    expect(rows).toEqual([
      { status: 'pending', attempts: 0, lease_id: null },
      { status: 'pending', attempts: 0, lease_id: null },
      { status: 'sent', attempts: 1, lease_id: null },
    ]);
    expect(server.mails.filter((mail) => mail.subject === 'shutdown')).toHaveLength(1);
  });

  it('speaks TLS (smtps://) and authenticates with the credentials in SMTP_URL', async () => {
    const server = await smtp({ secure: true, auth: { user: 'mailer', pass: 's3cret p@ss' } });
    const t = await app(databaseUrl, { SMTP_URL: server.url });
    const to = uniqueEmail('tls');
    await queueMail(t, { to });
    await server.waitForMail(to);
    // One AUTH per connection (other mails of this database may share the server): all with the URL's credentials.
    expect(server.authAttempts.length).toBeGreaterThan(0);
    expect(server.authAttempts.every((attempt) => attempt.user === 'mailer' && attempt.ok)).toBe(true);
  });
});

afterAll(async () => {
  for (const t of opened) await t.close();
});
