// Revocation staleness bound: time from a logout answering on instance A to another instance
// rejecting the token (each figure includes one polling request; A -> A shows that floor). Real
// server processes (dist/main.js) on one PostgreSQL database: B hears A over Redis only
// (REVOCATION_LISTEN=false), C has no Redis and hears A over PostgreSQL NOTIFY; both keep the
// default catch-up beat (1 s) as their safety net. Not a test; prints figures.
// Run alone: node bench/propagation.bench.mjs (after npm run build); ROUNDS (default 100).
import { pathToFileURL } from 'node:url';
import { benchDatabase, percentile, request, startServer } from './support.mjs';

const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

async function measure(a, b, rounds) {
  const email = `bench-propagation-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
  const password = 'bench-password-123';
  await request(a.base, 'POST', '/auth/register', { body: { email, password } });
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const login = await request(a.base, 'POST', '/auth/login', { body: { email, password } });
    const headers = { authorization: `Bearer ${login.body.accessToken}` };
    if ((await request(b.base, 'GET', '/auth/session', { headers })).status !== 200) throw new Error('B does not accept a fresh token');
    const logout = await request(a.base, 'POST', '/auth/logout', { headers });
    if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
    const answered = performance.now();
    for (;;) {
      if ((await request(b.base, 'GET', '/auth/session', { headers })).status === 401) break;
      if (performance.now() - answered > 10_000) throw new Error('the token was never rejected');
    }
    samples.push(performance.now() - answered);
  }
  samples.sort((x, y) => x - y);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1], n: samples.length };
}

export async function runPropagationBench({ rounds = 100 } = {}) {
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
    await measure(a, b, Math.min(10, rounds)); // warm-up (JIT, connections)
    return { redis: await measure(a, b, rounds), listen: await measure(a, c, rounds), same: await measure(a, a, rounds) };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.env.ROUNDS || 100);
  const results = await runPropagationBench({ rounds });
  console.log(`revocation propagation, ${rounds} logouts each: logout answered on A -> the other instance rejects the token`);
  const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`.padStart(9);
  const line = (label, r) => console.log(`${label.padEnd(44)} p50 ${fmt(r.p50)}  p99 ${fmt(r.p99)}  max ${fmt(r.max)}  (n=${r.n})`);
  line('A -> B, Redis pub/sub', results.redis);
  line('A -> C, no Redis (PostgreSQL NOTIFY)', results.listen);
  line('A -> A, same instance', results.same);
}
