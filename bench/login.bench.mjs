// Logins against the bcrypt limit: how close POST /auth/login comes to what the machine's cores
// can hash (cores / one bcrypt compare), at a given BCRYPT_COST. The compare time is measured in
// this process, with the server idle, on hashes of that cost. Not a test; prints figures.
// Run alone: node bench/login.bench.mjs (after npm run build); COST (default 12), DURATION (s).
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcrypt';
import { load } from './http.bench.mjs';
import { benchDatabase, json, startServer } from './support.mjs';

/** Median time of one bcrypt compare at `cost` (ms), one at a time. */
export async function bcryptCompareMs(cost, samples) {
  const hash = await bcrypt.hash('bench-password-123', cost);
  const times = [];
  for (let i = 0; i < samples; i++) {
    const began = performance.now();
    await bcrypt.compare('bench-password-123', hash);
    times.push(performance.now() - began);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function runLoginBench({ cost = 12, durationS = 10, compareSamples = 8 } = {}) {
  const cores = availableParallelism();
  const database = await benchDatabase();
  const server = await startServer({ DATABASE_URL: database.url, BCRYPT_COST: String(cost), PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000' });
  try {
    const compareMs = await bcryptCompareMs(cost, compareSamples);
    const limit = (cores * 1000) / compareMs;
    const password = 'bench-password-123';
    // Enough in flight to keep every hashing slot busy, without queueing minutes of work.
    const connections = cores * 4;
    // One account per connection, taken in turn: eight logins of one account at once can trip its
    // lockout (which charges each check before bcrypt and forgets the charges only on success),
    // and a 423 costs no compare.
    const emails = Array.from({ length: connections }, (_, i) => `bench-login-${cost}-${i}-${Date.now()}@example.test`);
    await Promise.all(emails.map((email) => fetch(`${server.base}/auth/register`, json({ email, password }))));
    const result = await load({
      url: `${server.base}/auth/login`,
      connections,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      bodies: emails.map((email) => JSON.stringify({ email, password })),
      duration: durationS,
    });
    const perSecond = result['2xx'] / durationS;
    return { cost, cores, compareMs, limit, perSecond, ratio: perSecond / limit, p99: result.latency.p99, non2xx: result.non2xx + result.errors };
  } finally {
    await server.child.stop();
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runLoginBench({ cost: Number(process.env.COST || 12), durationS: Number(process.env.DURATION || 10) });
  console.log(
    `logins at bcrypt cost ${r.cost}: ${r.perSecond.toFixed(1)}/s of a limit of ${r.limit.toFixed(1)}/s (${r.cores} cores / ${r.compareMs.toFixed(1)} ms a compare): ${r.ratio.toFixed(2)}; p99 ${r.p99} ms, non-2xx ${r.non2xx}`,
  );
}
