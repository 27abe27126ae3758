import { createHash } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueEmail } from '../support/factories.js';
import { startNode, type RunningApp } from '../support/node-process.js';
import { SseClient } from '../support/sse.js';
import { createTestDatabase, testEnv } from '../support/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple';
const CLIENT = { Authorization: `Basic ${Buffer.from('rs1:s3cret').toString('base64')}` };

interface LogLine {
  level: number;
  context?: string;
  msg: string;
  trace?: string;
}

/** `node dist/main.js` as production runs it, its log lines, and how it ended. */
interface Server extends RunningApp {
  lines: LogLine[];
  exited: Promise<number | null>;
}

/**
 * SIGTERM while work is under way (main.ts drainOnSignals, DESIGN.md "Shutdown"): every
 * request handler already started finishes, also one whose client went away, detached work
 * settles, and only then does the pool close; the process exits 0 without an error line.
 * Work is held in place with database locks, so each scenario is exactly the moment it names.
 */
describe('graceful shutdown', () => {
  let databaseUrl: string;
  let server: Server | undefined;
  const holders: pg.Client[] = [];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
  });

  afterEach(async () => {
    server?.child.kill('SIGKILL');
    server = undefined;
    await Promise.all(holders.splice(0).map((client) => client.end().catch(() => undefined)));
  });

  async function start(env: Record<string, string> = {}): Promise<Server> {
    const app = await startNode('dist/main.js', ROOT, {
      ...testEnv(databaseUrl, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ACCESS_LOG: 'false', RETENTION_INTERVAL_SECONDS: '0', INTROSPECTION_CLIENTS: 'rs1:s3cret' }),
      ...env,
    });
    const lines: LogLine[] = [];
    let partial = '';
    app.child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      for (const line of complete) {
        try {
          lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    const exited = new Promise<number | null>((resolve) => app.child.once('exit', (code) => resolve(code)));
    server = { ...app, lines, exited };
    return server;
  }

  /** A client of its own, for a transaction that holds a lock until the test lets go. */
  async function holder(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    holders.push(client);
    return client;
  }

  async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = await holder();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
      holders.splice(holders.indexOf(client), 1);
    }
  }

  /** Resolves once some statement of the server waits for a lock the test holds. */
  async function statementWaits(statement: RegExp): Promise<void> {
    await eventually(async () => {
      const rows = await query<{ query: string }>(
        `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      expect(rows.some((row) => statement.test(row.query))).toBe(true);
    }, 10_000);
  }

  async function register(url: string): Promise<{ email: string; id: string }> {
    const email = uniqueEmail('shutdown');
    const res = await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { user: { id: string } };
    return { email, id: body.user.id };
  }

  async function login(url: string, email: string): Promise<{ refreshToken: string; sessionId: string }> {
    const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { refreshToken: string; sessionId: string };
  }

  /**
   * A login sent and held at its lockout reset (the statement of the 15:38 benchmark log), which
   * waits on a row lock the returned transaction holds until the test commits it.
   */
  async function loginHeldAtLockoutReset(url: string, email: string): Promise<{ key: string; lock: pg.Client; request: http.ClientRequest }> {
    const key = `lockout:${createHash('sha256').update(email, 'utf8').digest('hex')}`;
    await query(`INSERT INTO login_lockouts (key, failures, level, expires_at) VALUES ($1, 1, 0, now() + interval '1 hour')`, [key]);
    const lock = await holder();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM login_lockouts WHERE key = $1 FOR UPDATE', [key]);
    const request = http.request(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    request.on('error', () => undefined);
    request.end(JSON.stringify({ email, password: PASSWORD }));
    await statementWaits(/DELETE FROM login_lockouts/);
    return { key, lock, request };
  }

  /** SIGTERM, then wait until the server has begun to stop (and, unfixed, closed its pool). */
  async function terminate(s: Server): Promise<void> {
    s.child.kill('SIGTERM');
    await eventually(async () => expect(s.lines.some((line) => /SIGTERM received/.test(line.msg))).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  function problems(s: Server): LogLine[] {
    return s.lines.filter((line) => line.level >= 40);
  }

  it('a login whose client went away still runs to completion: its session and audit row commit, exit 0, no error logged', async () => {
    const sut = await start();
    const user = await register(sut.url);
    const { key, lock, request } = await loginHeldAtLockoutReset(sut.url, user.email);
    // The load tool's run ends: the client is gone before the server is told to stop.
    request.destroy();
    await terminate(sut);
    await lock.query('COMMIT');

    expect(await sut.exited).toBe(0);
    expect(problems(sut)).toEqual([]);
    expect(await query('SELECT 1 FROM sessions WHERE user_id = $1', [user.id])).toHaveLength(1);
    expect(await query(`SELECT 1 FROM audit_events WHERE user_id = $1 AND type = 'login_succeeded'`, [user.id])).toHaveLength(1);
    expect(await query('SELECT 1 FROM login_lockouts WHERE key = $1', [key])).toHaveLength(0);
  });

  it('a refresh whose client went away rotates, and its batched audit row is written before the pool closes', async () => {
    const sut = await start();
    const user = await register(sut.url);
    const { refreshToken, sessionId } = await login(sut.url, user.email);
    // The rotation statement waits on its token's row; its token_refreshed row then goes to the batch.
    const lock = await holder();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM refresh_tokens WHERE session_id = $1 FOR UPDATE', [sessionId]);
    const request = http.request(`${sut.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    request.on('error', () => undefined);
    request.end(JSON.stringify({ refreshToken }));
    await statementWaits(/UPDATE refresh_tokens/);
    request.destroy();
    await terminate(sut);
    await lock.query('COMMIT');

    expect(await sut.exited).toBe(0);
    expect(problems(sut)).toEqual([]);
    expect(await query('SELECT 1 FROM refresh_tokens WHERE session_id = $1', [sessionId])).toHaveLength(2);
    expect(await query(`SELECT 1 FROM audit_events WHERE user_id = $1 AND type = 'token_refreshed'`, [user.id])).toHaveLength(1);
  });

  it('a detection still running at SIGTERM raises its anomaly before the pool closes', async () => {
    const sut = await start();
    const user = await register(sut.url);
    // A user who logged in from elsewhere lately, and from here only years ago: this login is new_network.
    await query(
      `INSERT INTO user_networks (user_id, network, first_seen_at, last_seen_at) VALUES
         ($1, '10.1.2.0/24', now(), now()), ($1, '127.0.0.0/24', now() - interval '10 years', now() - interval '10 years')`,
      [user.id],
    );
    const lock = await holder();
    await lock.query('BEGIN');
    await lock.query(`SELECT 1 FROM user_networks WHERE user_id = $1 AND network = '127.0.0.0/24' FOR UPDATE`, [user.id]);
    await login(sut.url, user.email);
    // Answered; the detection runs on, detached, and its sighting waits on the row.
    await statementWaits(/INSERT INTO user_networks/);
    await terminate(sut);
    await lock.query('COMMIT');

    expect(await sut.exited).toBe(0);
    expect(problems(sut)).toEqual([]);
    expect(await query(`SELECT 1 FROM anomalies WHERE user_id = $1 AND type = 'new_network'`, [user.id])).toHaveLength(1);
  });

  it('a handler still running past SHUTDOWN_TIMEOUT_MS gets one warning line, and the process still exits 0', async () => {
    const sut = await start({ SHUTDOWN_TIMEOUT_MS: '300' });
    const user = await register(sut.url);
    const { lock } = await loginHeldAtLockoutReset(sut.url, user.email);

    sut.child.kill('SIGTERM');
    await eventually(async () => expect(sut.lines.some((line) => line.context === 'Shutdown' && line.level === 40)).toBe(true));
    // Its statement is still waiting; once it is let go, the pool closes behind it.
    await lock.query('COMMIT');

    expect(await sut.exited).toBe(0);
    const warnings = sut.lines.filter((line) => line.context === 'Shutdown' && line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual(['SHUTDOWN_TIMEOUT_MS (300 ms) passed with 1 request handler still running: closing anyway']);
    // Cut off, the handler fails (if it gets that far before the exit): one line naming the
    // error and where, never a stack trace.
    for (const line of sut.lines.filter((entry) => entry.context === 'Errors')) {
      expect(line.msg).toMatch(/^Error: Cannot use a pool after calling end on the pool \(at \S+ dist\/\S+\.js:\d+\)$/);
      expect(line.trace).toBeUndefined();
    }
  });

  it('a revocation feed whose consumer went away does not hold up the stop', async () => {
    const sut = await start();
    const feed = await SseClient.connect(`${sut.url}/events/revocations`, CLIENT);
    expect(feed.status).toBe(200);
    await feed.close();
    // The server has seen the consumer go before it is told to stop.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    sut.child.kill('SIGTERM');

    expect(await sut.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(problems(sut)).toEqual([]);
  });
});
