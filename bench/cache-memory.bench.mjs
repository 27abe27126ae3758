// Revocation cache memory: the memory (JS heap and typed arrays) RevocationCache (packages/verifier, used by the server and by
// resource servers) holds after applying N session revocations (default 1,000,000), and the cost
// of a lookup (hit and miss) once it is that full. Runs in a child process with --expose-gc so
// the figure is the retained heap, not garbage. Not a test; prints figures.
// Run alone: node bench/cache-memory.bench.mjs (after npm run build); COUNT.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CHILD_FLAG = '--measure';

/** Spawns the measuring child; resolves with its figures. */
export function runCacheMemoryBench({ count = 1_000_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), CHILD_FLAG, String(count)],
      { timeout: 120_000, maxBuffer: 1 << 20 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    );
  });
}

/** The i-th of `count` distinct random-looking session ids, made on demand (so no list of them is measured). */
const base = randomBytes(8).toString('hex');
const sessionId = (i) => {
  const tail = (i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0') + i.toString(16).padStart(8, '0');
  return `${base.slice(0, 8)}-${base.slice(8, 12)}-4${base.slice(13, 16)}-a${tail.slice(0, 3)}-${tail.slice(3, 15)}`;
};
/** What the process holds: JS heap plus the ArrayBuffers behind typed arrays (where compact tables live). */
const retained = () => {
  globalThis.gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

async function measure(count) {
  const { RevocationCache } = await import('../packages/verifier/dist/core.js');
  const memoryMs = 315_000;
  const now = Date.now();
  const before = retained();
  const cache = new RevocationCache(memoryMs);
  for (let i = 0; i < count; i++) cache.apply({ id: String(i + 1), sid: sessionId(i), reason: 'logout', revokedAt: now }, now);
  const heapBytes = retained() - before;
  const lookups = 200_000;
  const probe = (sid) => ({ sid, sub: 'u', kid: 'k', authTimeMs: now });
  const hits = Array.from({ length: lookups }, (_, i) => probe(sessionId((i * 7919) % count)));
  const misses = Array.from({ length: lookups }, () => probe(randomUUID()));
  const time = (tokens) => {
    const began = process.hrtime.bigint();
    let revoked = 0;
    for (const token of tokens) if (cache.check(token)) revoked++;
    return { ns: Number(process.hrtime.bigint() - began) / tokens.length, revoked };
  };
  time(hits); // warm-up (JIT)
  const hit = time(hits);
  const miss = time(misses);
  if (hit.revoked !== lookups || miss.revoked !== 0) throw new Error('the cache answered wrongly');
  return { count, size: cache.size, heapMB: heapBytes / 1024 / 1024, hitNs: hit.ns, missNs: miss.ns };
}

if (process.argv[2] === CHILD_FLAG) {
  process.stdout.write(JSON.stringify(await measure(Number(process.argv[3]))));
} else if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runCacheMemoryBench({ count: Number(process.env.COUNT || 1_000_000) });
  console.log(
    `revocation cache, ${r.count.toLocaleString('en-US')} revoked sessions: ${r.heapMB.toFixed(1)} MB; lookup ${r.hitNs.toFixed(0)} ns (hit), ${r.missNs.toFixed(0)} ns (miss)`,
  );
}
