import { Logger } from '@nestjs/common';
import pg from 'pg';
import { parseEventId, type BusHandlers } from './revocation-bus.js';

/** The NOTIFY channel (per database, so deployments on separate databases never hear each other). */
export const NOTIFY_CHANNEL = 'gatehouse_revocations';
/** In a payload (comma-separated notices): the signing keys changed; any other notice is an event id. */
export const KEYS_CHANGED_PAYLOAD = 'keys_changed';
/** Notices per NOTIFY payload: ids of up to 19 digits stay far below PostgreSQL's 8000-byte limit. */
const NOTICES_PER_PAYLOAD = 300;

/** The NOTIFY payloads announcing `ids` (and a key change): one a few hundred notices. */
export function notifyPayloads(ids: string[], keysChanged: boolean): string[] {
  const notices = keysChanged ? [...ids, KEYS_CHANGED_PAYLOAD] : ids;
  const payloads: string[] = [];
  for (let i = 0; i < notices.length; i += NOTICES_PER_PAYLOAD) payloads.push(notices.slice(i, i + NOTICES_PER_PAYLOAD).join(','));
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
 * broadcast, then catch up"). Revoking transactions call pg_notify with the event id, which
 * PostgreSQL delivers when (and only if) they commit; every instance holds one connection that
 * LISTENs and hands each id to the same read-back path as Redis. Like the bus it may miss
 * messages (while reconnecting): after every (re)connection the handlers catch up.
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
    for (const notice of payload.split(',')) {
      if (notice === KEYS_CHANGED_PAYLOAD) {
        this.handlers?.onNotice({ type: 'keys_changed' });
        continue;
      }
      const id = parseEventId(notice);
      if (id === undefined) this.handlers?.onMalformed(`NOTIFY payload ${JSON.stringify(payload.slice(0, 120))}`);
      else this.handlers?.onNotice({ type: 'revocation', id });
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
