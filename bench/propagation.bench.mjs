// Revocation staleness bound: time from a logout answering on instance A to another instance
// rejecting the token, one HTTP poll included (B is polled with GET /auth/session until it answers
// 401; A -> A, where the token is dead before the logout answers, is that polling floor). Real
// server processes (dist/main.js) on one PostgreSQL database: B hears A over Redis only
// (REVOCATION_LISTEN=false), C has no Redis and hears A over PostgreSQL NOTIFY; both keep the
// default catch-up beat (1 s) as their safety net. The three paths take turns round by round (the
// order rotating), so a busy moment of a shared machine lands on all of them alike. The poll
// each round makes before its logout (nothing revoked yet) is timed too: what one poll costs on
// this machine, the floor under every figure here. Not a test; prints figures.
// Run alone: node bench/propagation.bench.mjs (after npm run build). ROUNDS (default 500) logouts
// per path, or as many as fit in SECONDS (default 120) of measuring, whichever comes first.
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { benchDatabase, percentile, request, startServer } from './support.mjs';

const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const PASSWORD = 'bench-password-123';

/**
 * One logout on `a` with a token `b` has just accepted; resolves the ms until `b` rejects it, how
 * many polls that took, and how long `b` took to accept it (a plain poll, nothing revoked).
 */
async function oneRound(a, b, email) {
  const login = await request(a.base, 'POST', '/auth/login', { body: { email, password: PASSWORD } });
  const headers = { authorization: `Bearer ${login.body.accessToken}` };
  const plainStarted = performance.now();
  if ((await request(b.base, 'GET', '/auth/session', { headers })).status !== 200) throw new Error('B does not accept a fresh token');
  const plainMs = performance.now() - plainStarted;
  const logout = await request(a.base, 'POST', '/auth/logout', { headers });
  if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
  const answered = performance.now();
  for (let polls = 1; ; polls++) {
    if ((await request(b.base, 'GET', '/auth/session', { headers })).status === 401) return { ms: performance.now() - answered, polls, plainMs };
    if (performance.now() - answered > 10_000) throw new Error('the token was never rejected');
  }
}

function summary(samples) {
  const sorted = samples.map((s) => s.ms).sort((x, y) => x - y);
  const firstPoll = samples.filter((s) => s.polls === 1).length / samples.length;
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], n: sorted.length, firstPoll };
}

export async function runPropagationBench({ rounds = 500, seconds = 120 } = {}) {
  const database = await benchDatabase();
  const children = [];
  const startInstance = async (env) => {
    const server = await startServer({ DATABASE_URL: database.url, BCRYPT_COST: '4', REVOCATION_CHANNEL: `gatehouse-bench:${database.name}`, ...env });
    children.push(server.child);
    return server;
  };
  try {
    const a = await startInstance({ REDIS_URL });
    const b = await startInstance({ REDIS_URL, REVOCATION_LISTEN: 'false' });
    const c = await startInstance({ REDIS_URL: '' });
    const email = `bench-propagation-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
    await request(a.base, 'POST', '/auth/register', { body: { email, password: PASSWORD } });
    const paths = { redis: b, listen: c, same: a };
    const names = Object.keys(paths);
    const samples = Object.fromEntries(names.map((name) => [name, []]));
    // Warm-up (JIT, connections), not counted.
    for (let round = 0; round < Math.min(20, rounds); round++) for (const name of names) await oneRound(a, paths[name], email);
    const load = { before: loadavg()[0] };
    const started = performance.now();
    for (let round = 0; round < rounds && performance.now() - started < seconds * 1000; round++) {
      for (let turn = 0; turn < names.length; turn++) {
        const name = names[(round + turn) % names.length];
        samples[name].push(await oneRound(a, paths[name], email));
      }
    }
    load.after = loadavg()[0];
    // The plain polls of every path's rounds: what one GET /auth/session costs here with nothing revoked.
    const plain = summary(names.flatMap((name) => samples[name].map((sample) => ({ ms: sample.plainMs, polls: 1 }))));
    return { ...Object.fromEntries(names.map((name) => [name, summary(samples[name])])), plain, load, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.env.ROUNDS || 500);
  const seconds = Number(process.env.SECONDS || 120);
  const r = await runPropagationBench({ rounds, seconds });
  console.log(
    `revocation propagation, ${r.same.n} logouts per path in ${r.seconds.toFixed(0)} s (load average ${r.load.before.toFixed(2)} -> ${r.load.after.toFixed(2)}):`,
  );
  console.log('logout answered on A -> the instance polled answers 401 (one GET /auth/session included)');
  const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`.padStart(9);
  const line = (label, x, polls = true) =>
    console.log(
      `${label.padEnd(40)} p50 ${fmt(x.p50)}  p90 ${fmt(x.p90)}  p99 ${fmt(x.p99)}  max ${fmt(x.max)}  (n=${x.n}${polls ? `, first poll ${(x.firstPoll * 100).toFixed(0)}%` : ''})`,
    );
  line('A -> B, Redis pub/sub', r.redis);
  line('A -> C, no Redis (PostgreSQL NOTIFY)', r.listen);
  line('A -> A, same instance (polling floor)', r.same);
  line('one poll, nothing revoked (the machine)', r.plain, false);
}
