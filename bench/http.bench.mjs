// The hot path over HTTP: GET /auth/session (verify + revocation check, no database) on one
// server process, alone and during a login flood at BCRYPT_COST 12. Not a test; prints figures.
// Run: npm run bench:http
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { benchDatabase, json, startServer } from './support.mjs';

const DURATION = Number(process.env.DURATION || 10);

function run(options) {
  return new Promise((resolve, reject) => autocannon({ duration: DURATION, ...options }, (error, result) => (error ? reject(error) : resolve(result))));
}

function line(label, result) {
  const ok = result['2xx'];
  console.log(
    `${label.padEnd(46)} ${String(Math.round(ok / DURATION)).padStart(7)} req/s  p50 ${String(result.latency.p50).padStart(4)} ms  p99 ${String(result.latency.p99).padStart(4)} ms  non-2xx ${result.non2xx}`,
  );
}

const database = await benchDatabase();
let server;
try {
  server = await startServer({
    DATABASE_URL: database.url,
    BCRYPT_COST: '12',
    PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000',
  });
  const base = server.base;
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
  await server?.child.stop();
  await sleep(500);
  await database.drop();
}
