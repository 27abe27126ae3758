import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueEmail } from '../support/factories.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { outboxRow, queueMail } from '../support/mail.js';
import { createTestDatabase, startApp, type TestApp } from '../support/test-app.js';

/** Without SMTP_URL (API.md): mails go to the log, with their links only outside production. */
let databaseUrl: string;
let t: TestApp | undefined;
beforeAll(async () => {
  databaseUrl = await createTestDatabase();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const LINK = 'http://gatehouse.test/reset-password?token=SECRETTOKENVALUE123';

describe('the log transport (no SMTP_URL)', () => {
  it('outside production, writes the mail with its link to the log and marks it sent', async () => {
    const logger = new CapturingLogger();
    t = await startApp({ databaseUrl, env: { MAIL_POLL_INTERVAL_MS: '20', LOG_LEVEL: 'info' }, logger });
    const to = uniqueEmail('devlog');
    const id = await queueMail(t, { to, text: `Open ${LINK}` });
    await eventually(async () => expect(await outboxRow(t!, id)).toMatchObject({ status: 'sent', transport: 'log' }));
    const line = logger.lines.find((entry) => entry.context === 'Mail' && entry.message.includes(id));
    expect(line?.message).toContain(to);
    expect(line?.message).toContain(LINK);
    expect(logger.text).not.toMatch(/SMTP_URL is not set/);
  });

  it('in production, warns at boot that no mail can be sent and logs mails without their links or full address', async () => {
    const logger = new CapturingLogger();
    t = await startApp({ databaseUrl, env: { NODE_ENV: 'production', MAIL_POLL_INTERVAL_MS: '20', LOG_LEVEL: 'info' }, logger });
    expect(logger.lines.some((entry) => entry.level === 'warn' && /SMTP_URL is not set: no mail can be sent/.test(entry.message))).toBe(true);
    const to = uniqueEmail('prodlog');
    const id = await queueMail(t, { to, text: `Open ${LINK}` });
    await eventually(async () => expect((await outboxRow(t!, id)).status).toBe('sent'));
    const line = logger.lines.find((entry) => entry.message.includes(id));
    expect(line?.level).toBe('warn');
    expect(line?.message).toContain(`${to[0]}***@example.test`);
    expect(logger.text).not.toContain('SECRETTOKENVALUE123');
    expect(logger.text).not.toContain(to);
  });

  it('names the SMTP server at boot without its credentials', async () => {
    const logger = new CapturingLogger();
    t = await startApp({ databaseUrl, env: { SMTP_URL: 'smtps://mailer:hunter2-password@127.0.0.1:1', LOG_LEVEL: 'info' }, logger });
    expect(logger.text).toContain('mail: SMTP at 127.0.0.1:1 (TLS)');
    expect(logger.text).not.toContain('hunter2');
    expect(logger.text).not.toContain('mailer:');
  });
});
