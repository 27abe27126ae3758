// Every benchmark in one go (npm run bench): runs each bench module in turn against this build
// (dist/, packages/verifier/dist/), prints one table (figure, value, target, pass/fail) and writes
// it as JSON under bench/results/ (git-ignored). Traffic goes only to 127.0.0.1; it stops only the
// server processes it started. Not a test: the figures depend on the machine and its load.
// BENCH_SMOKE=1 runs every bench with tiny counts (the smoke test in test/bench/); BENCH_ONLY
// (comma-separated: refresh,login,http,propagation,verifier,cache) runs a subset. BENCH_README=1
// then writes the table into README.md (bench/readme.mjs; never for a smoke run or a subset).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCacheMemoryBench } from './cache-memory.bench.mjs';
import { runHttpBench } from './http.bench.mjs';
import { runLoginBench } from './login.bench.mjs';
import { runPropagationBench } from './propagation.bench.mjs';
import { updateReadme } from './readme.mjs';
import { runRefreshBench } from './refresh.bench.mjs';
import { perSecond, runVerifierBench } from './verifier.bench.mjs';

const smoke = Boolean(process.env.BENCH_SMOKE);
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const rows = [];
const started = new Date();
const loadBefore = loadavg();

const ms = (value) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const rate = (value) => `${Math.round(value).toLocaleString('en-US')}/s`;
/** One table row; `pass` undefined for a figure without a target. */
function row(figure, value, target, pass) {
  rows.push({ figure, value, target: target ?? '—', pass: pass === undefined ? '—' : pass ? 'pass' : 'FAIL' });
  console.log(`  ${figure}: ${value}`);
}

const benches = {
  async refresh() {
    const { many, one } = await runRefreshBench({ durationMs: smoke ? 300 : 8000, chains: smoke ? 4 : 32 });
    row('refresh, 32 chains on 32 users: refreshes/s', rate(many.perSecond), '>= 1,000/s', many.perSecond >= 1000 && many.errors === 0);
    row('refresh, 32 chains on 32 users: p50 / p99', `${ms(many.p50)} / ${ms(many.p99)}`, 'p99 < 100 ms', many.p99 < 100);
    row('refresh, 32 chains on one user: refreshes/s', rate(one.perSecond), '>= 800/s', one.perSecond >= 800 && one.errors === 0);
    row('refresh, 32 chains on one user: p50 / p99', `${ms(one.p50)} / ${ms(one.p99)}`);
    row('refresh, server CPU per refresh (32 users / one user)', `${many.cpuUsPerRefresh.toFixed(0)} µs / ${one.cpuUsPerRefresh.toFixed(0)} µs (load from ${many.client})`);
    row('refresh errors (both shapes)', String(many.errors + one.errors), '0', many.errors + one.errors === 0);
  },
  async login() {
    for (const cost of smoke ? [4] : [10, 12]) {
      const r = await runLoginBench({ cost, durationS: smoke ? 1 : cost === 12 ? 12 : 8 });
      row(
        `logins vs bcrypt limit, cost ${cost}`,
        `${r.ratio.toFixed(2)} (${r.perSecond.toFixed(1)}/s of ${r.limit.toFixed(1)}/s, ${r.cores} compares at once: ${r.limitBefore.toFixed(1)}/s before, ${r.limitAfter.toFixed(1)}/s after)`,
        '>= 0.95',
        r.ratio >= 0.95 && r.non2xx === 0,
      );
    }
  },
  async http() {
    const r = await runHttpBench({ durationS: smoke ? 1 : 8, connections: smoke ? 4 : 50 });
    const vs = (x) => x.perSecond / r.live.perSecond;
    const cpu = (x) => `${x.cpuUsPerRequest.toFixed(0)} µs server CPU/req`;
    row('GET /health/live (floor)', `${rate(r.live.perSecond)}, p99 ${r.live.p99} ms, ${cpu(r.live)}`);
    row(
      'GET /auth/session vs /health/live',
      `${vs(r.session).toFixed(2)} (${rate(r.session.perSecond)}, p99 ${r.session.p99} ms, ${cpu(r.session)})`,
      '>= 0.95',
      vs(r.session) >= 0.95,
    );
    row('GET /users/me vs /health/live', `${vs(r.usersMe).toFixed(2)} (${rate(r.usersMe.perSecond)}, p99 ${r.usersMe.p99} ms, ${cpu(r.usersMe)})`);
    row(
      'GET /auth/session p99 during a login flood (cost 12)',
      `${r.sessionDuringFlood.p99} ms (${rate(r.sessionDuringFlood.perSecond)}; logins ${r.loginFlood.perSecond.toFixed(1)}/s)`,
    );
  },
  async propagation() {
    const r = await runPropagationBench({ rounds: smoke ? 3 : 500, seconds: smoke ? 30 : 120 });
    const triple = (x) => `p50 ${ms(x.p50)}, p99 ${ms(x.p99)}, max ${ms(x.max)} (n=${x.n}, one poll included)`;
    row('revocation visible on another instance, with Redis', triple(r.redis), 'p99 < 5 ms', r.redis.p99 < 5);
    row('revocation visible on another instance, without Redis (NOTIFY)', triple(r.listen), 'p99 < 25 ms', r.listen.p99 < 25);
    row('revocation visible on the same instance (the polling floor)', triple(r.same));
    row('one GET /auth/session, nothing revoked (the machine under all three)', `p50 ${ms(r.plain.p50)}, p99 ${ms(r.plain.p99)}, max ${ms(r.plain.max)} (n=${r.plain.n})`);
  },
  async verifier() {
    const r = await runVerifierBench({ scale: smoke ? 0.01 : 1 });
    row('verifier, repeat token (cache hit + revocation check)', `${rate(perSecond(r.repeatTotal))} (${(r.repeatTotal.cpuUs / r.repeatTotal.count).toFixed(2)} µs CPU)`);
    row('verifier, first-seen token', `${rate(perSecond(r.mine))} vs jose ${rate(perSecond(r.theirs))}`, '>= 0.9 × jose', r.ratio >= 0.9);
  },
  async cache() {
    const count = smoke ? 10_000 : 1_000_000;
    const r = await runCacheMemoryBench({ count });
    const perMillion = (r.heapMB * 1_000_000) / count;
    row(
      `revocation cache, ${count.toLocaleString('en-US')} revoked sessions`,
      `${r.heapMB.toFixed(1)} MB; lookup ${r.hitNs.toFixed(0)} ns hit, ${r.missNs.toFixed(0)} ns miss`,
      '< 150 MB per 1,000,000',
      perMillion < 150,
    );
  },
};

for (const [name, bench] of Object.entries(benches)) {
  if (only && !only.has(name)) continue;
  console.log(`[${name}]`);
  const began = performance.now();
  try {
    await bench();
  } catch (error) {
    row(`${name}: did not complete`, String(error?.message ?? error).slice(0, 200), 'completes', false);
  }
  console.log(`  (${((performance.now() - began) / 1000).toFixed(0)} s)`);
}

const widths = ['figure', 'value', 'target', 'pass'].map((key) => Math.max(key.length, ...rows.map((r) => r[key].length)));
const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
const meta = {
  date: started.toISOString(),
  seconds: Math.round((Date.now() - started.getTime()) / 1000),
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${availableParallelism()}`,
  loadAverageBefore: loadBefore.map((n) => Number(n.toFixed(2))),
  loadAverageAfter: loadavg().map((n) => Number(n.toFixed(2))),
  smoke,
};
console.log('');
console.log(
  `${meta.date}, ${meta.cpu}, Node ${meta.node}, load average ${meta.loadAverageBefore.join(' ')} before / ${meta.loadAverageAfter.join(' ')} after, ${meta.seconds} s`,
);
console.log(line(['figure', 'value', 'target', 'pass']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line([r.figure, r.value, r.target, r.pass]));

const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `bench-${started.toISOString().replace(/[:.]/g, '-')}${smoke ? '-smoke' : ''}.json`);
writeFileSync(file, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
console.log(`written: ${path.relative(process.cwd(), file)}`);
if (process.env.BENCH_README && !smoke && !only) {
  updateReadme(file, fileURLToPath(new URL('../README.md', import.meta.url)));
  console.log('README.md: benchmark table updated');
}
