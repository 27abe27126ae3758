// Refresh throughput: 32 chains rotating their refresh tokens as fast as the server answers
// (each chain presents the token the previous refresh returned), on 32 users and on one user.
// The load comes from wrk when it is installed (one thread and connection per chain, scripted by
// refresh-chains.lua): a C load tool spends a few µs per request, where this process's own HTTP
// client spent ~400 µs, on a machine whose two cores the server and PostgreSQL also need.
// Without wrk (or with BENCH_CLIENT=node) the chains run in this process.
// Optionally CPU-profiles the server (BENCH_PROFILE=1) and prints its top frames by self time.
// Run alone: node bench/refresh.bench.mjs (after npm run build). Not a test.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { benchDatabase, cpuMs, findWrk, percentile, request, startServer, loggedInSessions } from './support.mjs';

const WRK_SCRIPT = fileURLToPath(new URL('./refresh-chains.lua', import.meta.url));

/** The chains driven by wrk: one thread and one keep-alive connection per chain. */
async function wrkChains(wrk, server, tokens, durationMs) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-refresh-'));
  try {
    const file = path.join(dir, 'tokens');
    writeFileSync(file, `${tokens.map((token) => token.refreshToken).join('\n')}\n`, { mode: 0o600 });
    const cpuBefore = cpuMs(server.child.pid);
    const n = String(tokens.length);
    const { stdout } = await promisify(execFile)(
      wrk,
      ['-t', n, '-c', n, '-d', `${Math.max(1, Math.round(durationMs / 1000))}s`, '--timeout', '10s', '-s', WRK_SCRIPT, server.base],
      { env: { ...process.env, REFRESH_TOKENS_FILE: file }, maxBuffer: 1 << 20 },
    );
    const cpu = cpuMs(server.child.pid) - cpuBefore;
    const result = JSON.parse(stdout.trim().split('\n').pop());
    return {
      perSecond: result.requests / (result.durationUs / 1e6),
      cpuUsPerRefresh: (cpu * 1000) / Math.max(1, result.requests),
      p50: result.p50Us / 1000,
      p99: result.p99Us / 1000,
      errors: result.failed + result.socketErrors,
      client: 'wrk',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function chains(server, tokens, durationMs) {
  const wrk = process.env.BENCH_CLIENT === 'node' ? undefined : findWrk();
  if (wrk) return wrkChains(wrk, server, tokens, durationMs);
  return nodeChains(server, tokens, durationMs);
}

async function nodeChains(server, tokens, durationMs) {
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
    client: 'node',
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
    // Warm-up, not counted, in the measured shape (as many chains as measured): JIT, and the
    // pooled connections opened with their statements prepared. With 8 warm-up chains the first
    // measured second still paid for opening the rest of the pool (a backend each, the rotation
    // statement parsed and planned on each): p99 57 and 73 ms against 49 and 53 ms (fresh servers,
    // quiet machine).
    const warm = await loggedInSessions(server.base, { users: count, sessionsEach: 1, tag: 'warm' });
    await chains(server, warm, Math.min(3000, durationMs));
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
  console.log(`load generator: ${many.client}`);
  if (profileDir) {
    const file = latestProfile(profileDir);
    if (file) for (const { frame, percent } of topFrames(file)) console.log(`  ${String(percent).padStart(5)}%  ${frame}`);
  }
}
