import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { BusHandlers } from './revocation-bus.js';
import { parseSigned, type SignedMessage } from './push-message.js';

/** The NOTIFY channel (per database, so deployments on separate databases never hear each other). */
export const NOTIFY_CHANNEL = 'gatehouse_revocations';
/** Bytes per NOTIFY payload: PostgreSQL refuses 8000 and more. */
const PAYLOAD_BYTES = 7900;

/**
 * The NOTIFY payloads carrying `messages`: each a JSON array of signed messages (`{ message, mac }`,
 * as on Redis), as many to a payload as fit.
 */
export function notifyPayloads(messages: SignedMessage[]): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let bytes = 2;
  for (const message of messages) {
    const item = JSON.stringify(message);
    const size = Buffer.byteLength(item) + 1;
    if (batch.length > 0 && bytes + size > PAYLOAD_BYTES) {
      payloads.push(`[${batch.join(',')}]`);
      batch = [];
      bytes = 2;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) payloads.push(`[${batch.join(',')}]`);
  return payloads;
}
/** How the listening connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'gatehouse-revocation-listener';

/** A push channel that only receives: revoking transactions send with pg_notify. */
export interface RevocationListener {
  readonly status: 'up' | 'down' | 'off';
  start(handlers: BusHandlers): Promise<void>;
  close(): Promise<void>;
}

/** REVOCATION_LISTEN=false, or the embedded database (one process: nobody else to tell). */
export class NoListener implements RevocationListener {
  readonly status = 'off' as const;
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

export const REVOCATION_LISTENER = Symbol('REVOCATION_LISTENER');

/**
 * PostgreSQL LISTEN/NOTIFY as a push channel beside Redis (DESIGN.md "Revocation: write, then
 * broadcast, then catch up"). Revoking transactions call pg_notify with their signed revocations,
 * which PostgreSQL delivers when (and only if) they commit; every instance holds one connection
 * that LISTENs and hands each message to the same path as Redis (MAC checked, then applied). Any
 * role that can connect may NOTIFY, so a payload is trusted no more than a Redis message. Like the
 * bus it may miss messages (while reconnecting): after every (re)connection the handlers catch up.
 */
export class PgNotifyListener implements RevocationListener {
  private readonly logger = new Logger('RevocationListener');
  private client: pg.Client | undefined;
  private connected = false;
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private handlers: BusHandlers | undefined;

  constructor(private readonly databaseUrl: string) {}

  get status(): 'up' | 'down' {
    return this.connected ? 'up' : 'down';
  }

  /** Connects (waiting briefly, never failing boot: without it the catch-up loop still runs). */
  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    await Promise.race([this.connect(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: LISTENER_APPLICATION_NAME });
    this.client = client;
    client.on('notification', (message) => this.receive(message.payload ?? ''));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (error) {
      if (this.attempt === 0) this.logger.warn(`cannot LISTEN for revocations (${(error as Error).message}); will keep retrying`);
      this.lost(client);
      return;
    }
    if (this.client !== client) return;
    if (this.attempt > 0) this.logger.log('listening for revocations again');
    this.connected = true;
    this.attempt = 0;
    this.handlers?.onReconnect();
  }

  /** The connection died (or never came up): drop it and try again with a capped backoff. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.connected) this.logger.warn('lost the LISTEN connection; revocations arrive through Redis and the catch-up loop until it is back');
    this.connected = false;
    if (this.closed) return;
    const delay = Math.min(100 * 2 ** this.attempt++, 2000);
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }

  private receive(payload: string): void {
    let items: unknown;
    try {
      items = JSON.parse(payload);
    } catch {
      items = undefined;
    }
    const malformed = () => this.handlers?.onMalformed(`NOTIFY payload ${JSON.stringify(payload.slice(0, 120))}`);
    if (!Array.isArray(items)) return malformed();
    for (const item of items) {
      const signed = parseSigned(item);
      if (signed) this.handlers?.onMessage(signed, NOTIFY_CHANNEL);
      else malformed();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }
}
