import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app.js';

/** Queues a mail straight into the outbox, as a service would inside its transaction. */
export async function queueMail(t: TestApp, options: { to: string; kind?: string; subject?: string; text?: string } = { to: 'x@example.test' }): Promise<string> {
  const id = randomUUID();
  await t.sql(
    `INSERT INTO mail_outbox (id, kind, recipient, subject, body_text, body_html) VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, options.kind ?? 'test', options.to, options.subject ?? `test ${id}`, options.text ?? `text of ${id}`, `<p>html of ${id}</p>`],
  );
  return id;
}

export interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  body_text: string | null;
  body_html: string | null;
  transport: string | null;
  next_attempt_at: Date;
}

export async function outboxRow(t: TestApp, id: string): Promise<OutboxRow> {
  const [row] = await t.sql<OutboxRow & Record<string, unknown>>(`SELECT * FROM mail_outbox WHERE id = $1`, [id]);
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
