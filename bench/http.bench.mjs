// The hot path over HTTP: GET /auth/session (verify + revocation check, no database) on one
// server process, alone and during a login flood at BCRYPT_COST 12. Not a test; prints figures.
// Run: npm run bench:http
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';

const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const DURATION = Number(process.env.DURATION || 10);
const PORT = 4201;
const base = `http://127.0.0.1:${PORT}`;
const database = `gatehouse_bench_${Date.now().toString(36)}`;

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const url = new URL(ADMIN_URL);
url.pathname = `/${database}`;
const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function run(options) {
  return new Promise((resolve, reject) => autocannon({ duration: DURATION, ...options }, (error, result) => (error ? reject(error) : resolve(result))));
}

function line(label, result) {
  const ok = result['2xx'];
  console.log(
    `${label.padEnd(46)} ${String(Math.round(ok / DURATION)).padStart(7)} req/s  p50 ${String(result.latency.p50).padStart(4)} ms  p99 ${String(result.latency.p99).padStart(4)} ms  non-2xx ${result.non2xx}`,
  );
}

await admin(`CREATE DATABASE "${database}"`);
const server = spawn(process.execPath, ['dist/main.js'], {
  env: {
    ...process.env,
    PORT: String(PORT),
    HOST: '127.0.0.1',
    DATABASE_URL: url.toString(),
    KEY_ENCRYPTION_SECRET: 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    BCRYPT_COST: '12',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
try {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) break;
    } catch {}
    await sleep(100);
  }
  const email = `bench-${Date.now()}@example.test`;
  const password = 'bench-password-123';
  await fetch(`${base}/auth/register`, json({ email, password }));
  const login = await (await fetch(`${base}/auth/login`, json({ email, password }))).json();
  const auth = { authorization: `Bearer ${login.accessToken}` };

  console.log(`one Gatehouse process, ${DURATION} s per run, 50 connections (2-core machine, load generator on the same machine)`);
  await run({ url: `${base}/health/live`, connections: 50 }); // warm-up
  line('GET /health/live (no auth, baseline)', await run({ url: `${base}/health/live`, connections: 50 }));
  line('GET /auth/session (verify + revocation check)', await run({ url: `${base}/auth/session`, connections: 50, headers: auth }));

  // A login flood (bcrypt cost 12) while the hot path keeps being measured.
  const flood = run({ url: `${base}/auth/login`, connections: 32, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  await sleep(500);
  const during = run({ url: `${base}/auth/session`, connections: 10, headers: auth, duration: DURATION - 1 });
  const [floodResult, duringResult] = await Promise.all([flood, during]);
  line('GET /auth/session during a login flood', duringResult);
  line('POST /auth/login flood (bcrypt cost 12)', floodResult);
} finally {
  server.kill('SIGTERM');
  await sleep(500);
  await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
}
