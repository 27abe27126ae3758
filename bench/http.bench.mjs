// The hot path over HTTP: GET /auth/session (verify + revocation check, no database) on one
// server process, alone and during a login flood at BCRYPT_COST 12. Not a test; prints figures.
// Run: npm run bench:http. ACCESS_LOG=false and BENCH_LOG_LEVEL (default info) set the server's
// logging; its log lines go to a file under the OS temp directory, as they would in production.
// SESSION_ONLY=1 runs only the /health/live and /auth/session rows. Besides throughput it prints
// the server's CPU time per request, which a loaded machine disturbs far less than req/s.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { benchDatabase, cpuMs, json, startServer } from './support.mjs';

const DURATION = Number(process.env.DURATION || 10);

function run(options) {
  return new Promise((resolve, reject) => autocannon({ duration: DURATION, ...options }, (error, result) => (error ? reject(error) : resolve(result))));
}

function line(label, result) {
  const ok = result['2xx'];
  console.log(
    `${label.padEnd(46)} ${String(Math.round(ok / DURATION)).padStart(7)} req/s  p50 ${String(result.latency.p50).padStart(4)} ms  p99 ${String(result.latency.p99).padStart(4)} ms  non-2xx ${result.non2xx}` +
      (result.cpuUsPerRequest === undefined ? '' : `  server CPU ${result.cpuUsPerRequest.toFixed(1)} µs/req`),
  );
}

const database = await benchDatabase();
let server;
try {
  const logFile = path.join(tmpdir(), `gatehouse-bench-http-${process.pid}.log`);
  const accessLog = process.env.ACCESS_LOG ?? 'true';
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
  server = await startServer(
    { DATABASE_URL: database.url, BCRYPT_COST: '12', PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000', ACCESS_LOG: accessLog, LOG_LEVEL: logLevel },
    { logFile },
  );
  console.log(`ACCESS_LOG=${accessLog} LOG_LEVEL=${logLevel}; server log: ${logFile}`);
  const base = server.base;
  const email = `bench-${Date.now()}@example.test`;
  const password = 'bench-password-123';
  await fetch(`${base}/auth/register`, json({ email, password }));
  const login = await (await fetch(`${base}/auth/login`, json({ email, password }))).json();
  const auth = { authorization: `Bearer ${login.accessToken}` };

  console.log(`one Gatehouse process, ${DURATION} s per run, 50 connections (2-core machine, load generator on the same machine)`);
  await run({ url: `${base}/health/live`, connections: 50 }); // warm-up
  line('GET /health/live (no auth, baseline)', await measured(server, { url: `${base}/health/live`, connections: 50 }));
  line('GET /auth/session (verify + revocation check)', await measured(server, { url: `${base}/auth/session`, connections: 50, headers: auth }));
  if (!process.env.SESSION_ONLY) await loginFlood(base, auth, email, password);
} finally {
  await server?.child.stop();
  await sleep(500);
  await database.drop();
}

/** A run, plus the server's CPU time per answered request. */
async function measured(server, options) {
  const before = cpuMs(server.child.pid);
  const result = await run(options);
  result.cpuUsPerRequest = ((cpuMs(server.child.pid) - before) * 1000) / Math.max(1, result.requests.total);
  return result;
}

async function loginFlood(base, auth, email, password) {
  // A login flood (bcrypt cost 12) while the hot path keeps being measured.
  const flood = run({ url: `${base}/auth/login`, connections: 32, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  await sleep(500);
  const during = run({ url: `${base}/auth/session`, connections: 10, headers: auth, duration: DURATION - 1 });
  const [floodResult, duringResult] = await Promise.all([flood, during]);
  line('GET /auth/session during a login flood', duringResult);
  line('POST /auth/login flood (bcrypt cost 12)', floodResult);
}
