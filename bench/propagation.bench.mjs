// Revocation staleness bound: time from a revoke call answering on instance A to instance B
// rejecting the token. Two real server processes (dist/main.js) on one PostgreSQL database,
// with and without Redis. Run: npm run bench:propagation   (prints figures; not a test)
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDatabase, json, startServer } from './support.mjs';

const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.ROUNDS || 100);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label, a, b, jitterMs = 0) {
  const email = `bench-${label.replace(/\W+/g, '-')}-${Date.now()}@example.test`;
  const password = 'bench-password-123';
  await fetch(`${a.base}/auth/register`, json({ email, password }));
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) {
    const login = await (await fetch(`${a.base}/auth/login`, json({ email, password }))).json();
    const auth = { authorization: `Bearer ${login.accessToken}` };
    if ((await fetch(`${b.base}/auth/session`, { headers: auth })).status !== 200) throw new Error('B does not accept a fresh token');
    // Random phase against the catch-up timer, so its interval does not line up with the rounds.
    await sleep(Math.random() * jitterMs);
    const logout = await fetch(`${a.base}/auth/logout`, { method: 'POST', headers: auth });
    if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
    const answered = performance.now();
    for (;;) {
      const res = await fetch(`${b.base}/auth/session`, { headers: auth });
      if (res.status === 401) break;
      if (performance.now() - answered > 10_000) throw new Error('B never rejected the token');
    }
    samples.push(performance.now() - answered);
  }
  samples.sort((x, y) => x - y);
  const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  console.log(
    `${label.padEnd(44)} p50 ${fmt(percentile(samples, 50)).padStart(9)}  p99 ${fmt(percentile(samples, 99)).padStart(9)}  max ${fmt(samples[samples.length - 1]).padStart(9)}  (n=${samples.length})`,
  );
}

const database = await benchDatabase();
const children = [];
const startInstance = async (env) => {
  const server = await startServer({
    DATABASE_URL: database.url,
    BCRYPT_COST: '4',
    REVOCATION_CHANNEL: `gatehouse-bench:${database.name}`,
    ...env,
  });
  children.push(server.child);
  return server;
};
try {
  const a = await startInstance({ REDIS_URL });
  const b = await startInstance({ REDIS_URL });
  const c = await startInstance({ REDIS_URL: '', REVOCATION_SYNC_INTERVAL_MS: '1000' });
  console.log(`revocation propagation, ${ROUNDS} logouts each: revoke answered on A -> other instance rejects the token`);
  console.log('(each figure includes one polling request, ~1-2 ms; A -> A shows that floor)');
  await measure('A -> B, Redis pub/sub (sync 1000 ms)', a, b);
  await measure('A -> C, no Redis (database catch-up, 1000 ms)', a, c, 1000);
  await measure('A -> A, same instance', a, a);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await sleep(500);
  await database.drop();
}
