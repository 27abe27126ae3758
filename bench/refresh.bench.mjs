// Refresh throughput: 32 chains rotating their refresh tokens as fast as the server answers
// (each chain presents the token the previous refresh returned), on 32 users and on one user.
// Optionally CPU-profiles the server (BENCH_PROFILE=1) and prints its top frames by self time.
// Run alone: node bench/refresh.bench.mjs (after npm run build). Not a test.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDatabase, cpuMs, percentile, request, startServer, loggedInSessions } from './support.mjs';


async function chains(server, tokens, durationMs) {
  const { base } = server;
  const cpuBefore = cpuMs(server.child.pid);
  const latencies = [];
  let errors = 0;
  const deadline = performance.now() + durationMs;
  await Promise.all(
    tokens.map(async (start) => {
      let refreshToken = start.refreshToken;
      while (performance.now() < deadline) {
        const began = performance.now();
        const res = await request(base, 'POST', '/auth/refresh', { body: { refreshToken } });
        latencies.push(performance.now() - began);
        if (res.status !== 200) {
          errors++;
          return;
        }
        refreshToken = res.body.refreshToken;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / (durationMs / 1000),
    // The server's CPU time per refresh: far less disturbed by a loaded machine than refreshes/s.
    cpuUsPerRefresh: ((cpuMs(server.child.pid) - cpuBefore) * 1000) / Math.max(1, latencies.length),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

/** The top `n` functions by self time in a .cpuprofile (V8's sampling profile). */
export function topFrames(file, n = 8) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const self = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let total = 0;
  for (const [id, us] of dt) {
    const { callFrame } = byId.get(id);
    const where = callFrame.url ? `${callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/')}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, percent: Math.round((us / total) * 1000) / 10 }));
}

export async function runRefreshBench({ durationMs = 10_000, chains: count = 32, profileDir } = {}) {
  const database = await benchDatabase();
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const server = await startServer({ DATABASE_URL: database.url, BCRYPT_COST: '4', DATABASE_POOL_SIZE: '20' }, { nodeArgs });
  try {
    const manyUsers = await loggedInSessions(server.base, { users: count, sessionsEach: 1, tag: 'many' });
    const oneUser = await loggedInSessions(server.base, { users: 1, sessionsEach: count, tag: 'one' });
    const warm = await loggedInSessions(server.base, { users: 4, sessionsEach: 2, tag: 'warm' });
    await chains(server, warm, Math.min(2000, durationMs)); // JIT warm-up
    const many = await chains(server, manyUsers, durationMs);
    const one = await chains(server, oneUser, durationMs);
    return { many, one };
  } finally {
    await server.child.stop();
    await database.drop();
  }
}

export function latestProfile(dir) {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).sort();
  return files.length > 0 ? path.join(dir, files[files.length - 1]) : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const profileDir = process.env.BENCH_PROFILE ? path.resolve('bench/results/profiles') : undefined;
  const { many, one } = await runRefreshBench({ durationMs: Number(process.env.DURATION || 10) * 1000, profileDir });
  const line = (label, r) =>
    console.log(`${label.padEnd(34)} ${r.perSecond.toFixed(0).padStart(6)}/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  errors ${r.errors}  server CPU ${r.cpuUsPerRefresh.toFixed(0)} µs/refresh`);
  line('refresh, 32 chains on 32 users', many);
  line('refresh, 32 chains on one user', one);
  if (profileDir) {
    const file = latestProfile(profileDir);
    if (file) for (const { frame, percent } of topFrames(file)) console.log(`  ${String(percent).padStart(5)}%  ${frame}`);
  }
}
