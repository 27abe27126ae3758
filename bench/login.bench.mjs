// Logins against the bcrypt limit: how close POST /auth/login comes to what the machine's cores
// can hash at a given BCRYPT_COST. The limit is measured in this process, with the server idle:
// as many bcrypt compares running at once as there are cores, on a hash of that cost, over a
// window as long as the logins' and counted the same way, right before and again right after the
// logins (this VM's speed wanders by tens of percent within minutes: the median of eight single
// compares, taken apart from the logins, made the ratio swing from 0.93 to 1.03 at cost 12).
// Not a test; prints figures.
// Run alone: node bench/login.bench.mjs (after npm run build); COST (default 12), DURATION (s).
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcrypt';
import { load } from './http.bench.mjs';
import { benchDatabase, json, startServer } from './support.mjs';

/**
 * Compares per second with `cores` of them running at once, counted as wrk counts logins: those
 * that complete within the `seconds` window (so the first results arrive a compare into it, as
 * the first logins do), divided by the window.
 */
export async function bcryptLimit(cost, cores, seconds) {
  const hash = await bcrypt.hash('bench-password-123', cost);
  await bcrypt.compare('bench-password-123', hash); // the pool's threads up
  let compares = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (performance.now() < until) {
        await bcrypt.compare('bench-password-123', hash);
        if (performance.now() <= until) compares++;
      }
    }),
  );
  return compares / seconds;
}

export async function runLoginBench({ cost = 12, durationS = 10 } = {}) {
  const cores = availableParallelism();
  const database = await benchDatabase();
  const server = await startServer({ DATABASE_URL: database.url, BCRYPT_COST: String(cost), PASSWORD_HASH_QUEUE_TIMEOUT_MS: '60000' });
  try {
    const password = 'bench-password-123';
    // Enough in flight to keep every hashing slot busy, without queueing minutes of work.
    const connections = cores * 4;
    // One account per connection, taken in turn: eight logins of one account at once can trip its
    // lockout (which charges each check before bcrypt and forgets the charges only on success),
    // and a 423 costs no compare.
    const emails = Array.from({ length: connections }, (_, i) => `bench-login-${cost}-${i}-${Date.now()}@example.test`);
    await Promise.all(emails.map((email) => fetch(`${server.base}/auth/register`, json({ email, password }))));
    const limitBefore = await bcryptLimit(cost, cores, durationS);
    const result = await load({
      url: `${server.base}/auth/login`,
      connections,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      bodies: emails.map((email) => JSON.stringify({ email, password })),
      duration: durationS,
    });
    const limitAfter = await bcryptLimit(cost, cores, durationS);
    const limit = (limitBefore + limitAfter) / 2;
    const perSecond = result['2xx'] / durationS;
    return {
      cost,
      cores,
      compareMs: (cores * 1000) / limit,
      limit,
      limitBefore,
      limitAfter,
      perSecond,
      ratio: perSecond / limit,
      p99: result.latency.p99,
      non2xx: result.non2xx + result.errors,
    };
  } finally {
    await server.child.stop();
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runLoginBench({ cost: Number(process.env.COST || 12), durationS: Number(process.env.DURATION || 10) });
  console.log(
    `logins at bcrypt cost ${r.cost}: ${r.perSecond.toFixed(1)}/s of a limit of ${r.limit.toFixed(1)}/s (${r.limitBefore.toFixed(1)} before, ${r.limitAfter.toFixed(1)} after; ${r.cores} cores / ${r.compareMs.toFixed(1)} ms a compare): ${r.ratio.toFixed(2)}; p99 ${r.p99} ms, non-2xx ${r.non2xx}`,
  );
}
