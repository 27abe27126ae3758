// Shared by the server benchmarks: a throwaway database and real server processes (dist/main.js).
import { spawn } from 'node:child_process';
import { accessSync, constants, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * The build whose server is measured: this checkout by default, or another one (BENCH_ROOT,
 * e.g. a copy of the previous build) to take before/after figures back to back.
 */
export const BENCH_ROOT = path.resolve(process.env.BENCH_ROOT || '.');

const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates a fresh database; `drop()` removes it (and any connection still open to it). */
export async function benchDatabase() {
  const name = `gatehouse_bench_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** A free port on 127.0.0.1 (bound once, then released for the server to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = http.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts `node dist/main.js` (of BENCH_ROOT) on a free port and resolves once /health/ready
 * answers. `nodeArgs` go to node itself (e.g. --cpu-prof). With `logFile` the server's stdout
 * (its JSON log lines) goes to that file instead of this terminal.
 */
export async function startServer(env, { nodeArgs = [], logFile } = {}) {
  const port = await freePort();
  const stdout = logFile ? openSync(logFile, 'w') : 'inherit';
  const child = spawn(process.execPath, [...nodeArgs, path.join(BENCH_ROOT, 'dist/main.js')], {
    cwd: BENCH_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      KEY_ENCRYPTION_SECRET: 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
  };
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return { base, child };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error(`server on port ${port} did not become ready`);
}

export const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A keep-alive HTTP client for load loops (fetch's per-request overhead would cap the figures). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
export function request(base, method, pathname, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${pathname}`,
      {
        method,
        agent,
        headers: payload === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Registers `count` users and logs each in `sessionsEach` times; returns their refresh tokens. */
export async function loggedInSessions(base, { users, sessionsEach, tag }) {
  const password = 'bench-password-123';
  const tokens = [];
  for (let u = 0; u < users; u++) {
    const email = `bench-${tag}-${u}-${Date.now()}@example.test`;
    const registered = await request(base, 'POST', '/auth/register', { body: { email, password } });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
    for (let s = 0; s < sessionsEach; s++) {
      const login = await request(base, 'POST', '/auth/login', { body: { email, password } });
      if (login.status !== 200) throw new Error(`login answered ${login.status}`);
      tokens.push({ email, password, ...login.body });
    }
  }
  return tokens;
}

/** CPU time (user + system, ms) a child process has used so far, from /proc (Linux). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The wrk binary when it is installed (BENCH_WRK, /usr/bin/wrk, or on PATH), else undefined. */
export function findWrk() {
  const candidates = [process.env.BENCH_WRK, '/usr/bin/wrk', ...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'wrk'))];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}
