// The hot path over HTTP: GET /auth/session (verify + revocation check, no database) and
// GET /users/me (one indexed read) against GET /health/live on one server process, alone and
// during a login flood at BCRYPT_COST 12. autocannon runs in a worker thread, so the load tool
// has its own core and outruns the server. Not a test; prints figures.
// Run alone: node bench/http.bench.mjs (after npm run build). ACCESS_LOG=false and
// BENCH_LOG_LEVEL (default info) set the server's logging; its log lines go to a file under the
// OS temp directory, as they would in production. SESSION_ONLY=1 runs only the /health/live and
// /auth/session rows. Besides throughput it reports the server's CPU time per request, which a
// loaded machine disturbs far less than req/s.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { benchDatabase, cpuMs, json, startServer } from './support.mjs';

/** One autocannon run (in a worker thread unless `workers: 0`). */
export function load(options) {
  const { workers = 1, ...rest } = options;
  return new Promise((resolve, reject) =>
    autocannon({ ...rest, ...(workers > 0 ? { workers } : {}) }, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

/** What a run reports: answered requests/s (2xx only), latency, errors, server CPU per request. */
function summary(result, durationS, cpuUsPerRequest) {
  return {
    perSecond: result['2xx'] / durationS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
    ...(cpuUsPerRequest === undefined ? {} : { cpuUsPerRequest }),
  };
}

/** A run, plus the server's CPU time per answered request. */
async function measured(server, options) {
  const before = cpuMs(server.child.pid);
  const result = await load(options);
  return summary(result, options.duration, ((cpuMs(server.child.pid) - before) * 1000) / Math.max(1, result.requests.total));
}

export async function runHttpBench({ durationS = 10, connections = 50, sessionOnly = false, accessLog = 'true', logLevel = 'info' } = {}) {
  const database = await benchDatabase();
  let server;
  try {
    const logFile = path.join(tmpdir(), `gatehouse-bench-http-${process.pid}.log`);
    server = await startServer(
      { DATABASE_URL: database.url, BCRYPT_COST: '12', PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000', ACCESS_LOG: accessLog, LOG_LEVEL: logLevel },
      { logFile },
    );
    const base = server.base;
    const email = `bench-${Date.now()}@example.test`;
    const password = 'bench-password-123';
    await fetch(`${base}/auth/register`, json({ email, password }));
    const login = await (await fetch(`${base}/auth/login`, json({ email, password }))).json();
    const auth = { authorization: `Bearer ${login.accessToken}` };
    const run = (pathname, headers = {}) => measured(server, { url: `${base}${pathname}`, connections, headers, duration: durationS });

    await load({ url: `${base}/health/live`, connections, duration: Math.min(3, durationS) }); // warm-up (JIT)
    const results = { logFile, live: await run('/health/live'), session: await run('/auth/session', auth) };
    if (sessionOnly) return results;
    results.usersMe = await run('/users/me', auth);
    // A login flood (bcrypt cost 12) while the hot path keeps being measured.
    const flood = load({
      url: `${base}/auth/login`,
      connections: 32,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      duration: durationS + 1,
    });
    await sleep(500);
    const during = load({ url: `${base}/auth/session`, connections: 10, headers: auth, duration: durationS });
    const [floodResult, duringResult] = await Promise.all([flood, during]);
    results.sessionDuringFlood = summary(duringResult, durationS);
    results.loginFlood = summary(floodResult, durationS + 1);
    return results;
  } finally {
    await server?.child.stop();
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationS = Number(process.env.DURATION || 10);
  const accessLog = process.env.ACCESS_LOG ?? 'true';
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
  const results = await runHttpBench({ durationS, sessionOnly: Boolean(process.env.SESSION_ONLY), accessLog, logLevel });
  console.log(`ACCESS_LOG=${accessLog} LOG_LEVEL=${logLevel}; server log: ${results.logFile}`);
  console.log(`one Gatehouse process, ${durationS} s per run, 50 connections (load generator in a worker thread, same machine)`);
  const line = (label, r) =>
    r &&
    console.log(
      `${label.padEnd(46)} ${String(Math.round(r.perSecond)).padStart(7)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  non-2xx ${r.non2xx}` +
        (r.cpuUsPerRequest === undefined ? '' : `  server CPU ${r.cpuUsPerRequest.toFixed(1)} µs/req`),
    );
  line('GET /health/live (no auth, baseline)', results.live);
  line('GET /auth/session (verify + revocation check)', results.session);
  line('GET /users/me (verify + one read)', results.usersMe);
  line('GET /auth/session during a login flood', results.sessionDuringFlood);
  line('POST /auth/login flood (bcrypt cost 12)', results.loginFlood);
}
