// The hot path over HTTP: GET /auth/session (verify + revocation check, no database) and
// GET /users/me (one indexed read) against GET /health/live on one server process, alone and
// during a login flood at BCRYPT_COST 12. The load comes from wrk (a C load generator, one
// thread) when it is installed, else from autocannon in a worker thread: the load tool must
// outrun the server, or the ratios measure the tool (autocannon tops out near 10,000 req/s on
// one core, below what /health/live answers). BENCH_LOAD_TOOL=autocannon forces autocannon.
// Not a test; prints figures.
// Run alone: node bench/http.bench.mjs (after npm run build). ACCESS_LOG=false and
// BENCH_LOG_LEVEL (default info) set the server's logging; its log lines go to a file under the
// OS temp directory, as they would in production. SESSION_ONLY=1 runs only the /health/live and
// /auth/session rows. The routes are measured in alternating 2 s runs (DURATION s in all per
// route), so the machine's wandering speed lands on each alike. Besides throughput it reports the
// server's CPU time per request, which a loaded machine disturbs far less than req/s.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { benchDatabase, cpuMs, json, startServer } from './support.mjs';

/** The wrk binary (PATH first, then /usr/bin/wrk), or undefined when there is none. */
function findWrk() {
  for (const candidate of ['wrk', '/usr/bin/wrk']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch (error) {
      // wrk --version prints its usage and exits 1: it exists; ENOENT means it does not.
      if (error.code !== 'ENOENT' && error.status !== undefined) return candidate;
    }
  }
  return undefined;
}

const WRK = process.env.BENCH_LOAD_TOOL === 'autocannon' ? undefined : findWrk();
/** Which load generator `load` uses: 'wrk' or 'autocannon'. */
export const LOAD_TOOL = WRK ? 'wrk' : 'autocannon';

/**
 * A Lua script for wrk: the method, headers and body of every request (or `bodies`, taken in
 * turn), and a last line of JSON with what autocannon's result also reports (counts, latency
 * percentiles in µs).
 */
function wrkScript({ method = 'GET', headers = {}, body, bodies }) {
  // Decimal escapes keep any byte of the body or a header a valid Lua string.
  const lua = (text) => `"${[...Buffer.from(String(text))].map((byte) => `\\${byte}`).join('')}"`;
  return [
    `wrk.method = ${lua(method)}`,
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`),
    ...(body === undefined ? [] : [`wrk.body = ${lua(body)}`]),
    ...(bodies === undefined
      ? []
      : [
          `local bodies = { ${bodies.map(lua).join(', ')} }`,
          'local next_body = 0',
          'request = function()',
          '  next_body = next_body % #bodies + 1',
          '  return wrk.format(nil, nil, nil, bodies[next_body])',
          'end',
        ]),
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'\\n{"wrk":1,"requests":%d,"durationUs":%d,"non2xx":%d,"errors":%d,"p50":%.0f,"p99":%.0f}\\n\',',
    '    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))',
    'end',
    '',
  ].join('\n');
}

/** One wrk run, its result in autocannon's shape (the fields this directory reads). */
async function wrkLoad({ url, connections = 10, duration = 10, method, headers, body, bodies }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-wrk-'));
  try {
    const script = path.join(dir, 'request.lua');
    writeFileSync(script, wrkScript({ method, headers, body, bodies }));
    const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(duration))}s`, '--timeout', '30s', '-s', script, url];
    const stdout = await new Promise((resolve, reject) =>
      execFile(WRK, args, { maxBuffer: 1 << 20 }, (error, out, err) => (error ? reject(new Error(`wrk failed: ${err || error.message}`)) : resolve(out))),
    );
    const line = stdout.split('\n').find((text) => text.startsWith('{"wrk":1'));
    if (!line) throw new Error(`wrk printed no result: ${stdout.slice(0, 300)}`);
    const r = JSON.parse(line);
    const ms = (us) => Math.round(us / 10) / 100;
    return { '2xx': r.requests - r.non2xx, non2xx: r.non2xx, errors: r.errors, latency: { p50: ms(r.p50), p99: ms(r.p99) }, requests: { total: r.requests }, duration: r.durationUs / 1e6 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One autocannon run (in a worker thread unless `workers: 0`). */
function autocannonLoad(options) {
  const { workers = 1, bodies, ...rest } = options;
  const requests = bodies?.map((body) => ({ body }));
  return new Promise((resolve, reject) =>
    autocannon({ ...rest, ...(requests ? { requests } : {}), ...(workers > 0 ? { workers } : {}) }, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

/**
 * One load run: { url, connections, duration (s), method, headers, body or bodies }, answered as
 * autocannon answers ('2xx', non2xx, errors, latency.p50/p99 in ms, requests.total, duration in s), by wrk
 * when it is installed.
 */
export function load(options) {
  return WRK ? wrkLoad(options) : autocannonLoad(options);
}

/** What a run reports: answered requests/s (2xx only), latency, errors. */
function summary(result, durationS) {
  return {
    perSecond: result['2xx'] / durationS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The routes measured in `rounds` alternating runs of `runS` seconds each, the order rotating
 * every round, so that a slow or fast moment of a shared machine (this VM's speed wanders by tens
 * of percent within a minute) lands on every route alike. One long run per route, one after the
 * other, made their ratio swing between 0.80 and 0.97 from one bench run to the next. Per route:
 * answered requests/s and the server's CPU per request over all its runs, and the median of the
 * runs' p50 and p99.
 */
async function alternating(server, routes, rounds, connections, runS) {
  const runs = Object.fromEntries(Object.keys(routes).map((name) => [name, []]));
  const names = Object.keys(routes);
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < names.length; turn++) {
      const name = names[(round + turn) % names.length];
      const before = cpuMs(server.child.pid);
      const result = await load({ url: `${server.base}${routes[name].path}`, headers: routes[name].headers, connections, duration: runS });
      runs[name].push({ result, cpuMs: cpuMs(server.child.pid) - before });
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const list = runs[name];
      const answered = list.reduce((sum, run) => sum + run.result['2xx'], 0);
      const total = list.reduce((sum, run) => sum + run.result.requests.total, 0);
      return [
        name,
        {
          // wrk and autocannon both report how long a run really lasted (s).
          perSecond: answered / list.reduce((sum, run) => sum + (run.result.duration || runS), 0),
          p50: median(list.map((run) => run.result.latency.p50)),
          p99: median(list.map((run) => run.result.latency.p99)),
          non2xx: list.reduce((sum, run) => sum + run.result.non2xx + run.result.errors, 0),
          cpuUsPerRequest: (list.reduce((sum, run) => sum + run.cpuMs, 0) * 1000) / Math.max(1, total),
          runs: list.length,
        },
      ];
    }),
  );
}

export async function runHttpBench({ durationS = 10, connections = 50, sessionOnly = false, accessLog = 'true', logLevel = 'info' } = {}) {
  const database = await benchDatabase();
  let server;
  try {
    const logFile = path.join(tmpdir(), `gatehouse-bench-http-${process.pid}.log`);
    server = await startServer(
      // The flood's 32 connections all come from 127.0.0.1: the hashing queue's per-caller cap (8 by
      // default, answered 429) would otherwise turn most of them away before bcrypt.
      {
        DATABASE_URL: database.url,
        BCRYPT_COST: '12',
        PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000',
        PASSWORD_HASH_QUEUE_PER_CALLER: '64',
        ACCESS_LOG: accessLog,
        LOG_LEVEL: logLevel,
      },
      { logFile },
    );
    const base = server.base;
    const email = `bench-${Date.now()}@example.test`;
    const password = 'bench-password-123';
    await fetch(`${base}/auth/register`, json({ email, password }));
    const login = await (await fetch(`${base}/auth/login`, json({ email, password }))).json();
    const auth = { authorization: `Bearer ${login.accessToken}` };
    const routes = {
      live: { path: '/health/live' },
      session: { path: '/auth/session', headers: auth },
      ...(sessionOnly ? {} : { usersMe: { path: '/users/me', headers: auth } }),
    };
    // Warm-up (JIT), not counted: every measured route once.
    for (const route of Object.values(routes)) await load({ url: `${base}${route.path}`, headers: route.headers, connections, duration: Math.min(2, durationS) });
    // Runs of 2 s (1 s for a short bench): each starts by opening its connections.
    const runS = durationS >= 4 ? 2 : 1;
    const results = { logFile, ...(await alternating(server, routes, Math.max(1, Math.round(durationS / runS)), connections, runS)) };
    if (sessionOnly) return results;
    // A login flood (bcrypt cost 12) while the hot path keeps being measured: 32 accounts taken in
    // turn, so that no account's lockout (which charges each check before bcrypt runs) engages and
    // every login really hashes.
    const floodEmails = Array.from({ length: 32 }, (_, i) => `bench-flood-${i}-${Date.now()}@example.test`);
    await Promise.all(floodEmails.map((floodEmail) => fetch(`${base}/auth/register`, json({ email: floodEmail, password }))));
    const floodBodies = floodEmails.map((floodEmail) => JSON.stringify({ email: floodEmail, password }));
    const flood = load({
      url: `${base}/auth/login`,
      connections: 32,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      bodies: floodBodies,
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
  console.log(`one Gatehouse process, ${durationS} s per run, 50 connections (load: ${LOAD_TOOL === 'wrk' ? 'wrk, one thread' : 'autocannon in a worker thread'}, same machine)`);
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
