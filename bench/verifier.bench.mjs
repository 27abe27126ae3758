// Benchmark of the resource-server verifier (packages/verifier), run against the build:
//   npm run bench:verifier        (builds, then runs this file)
//   node bench/verifier.bench.mjs (after `npm run build`)
// runVerifierBench() is what `npm run bench` runs. Prints repeat-token verifications/s on one core (verified-token cache, revocation check still
// run every time), and first-seen verifications/s next to bare jose.jwtVerify with the same key
// on the same tokens in the same run. Not a test: numbers depend on the machine.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import * as jose from 'jose';
import { createVerifier } from '../packages/verifier/dist/index.js';
import { FakeGatehouse, FAKE_AUDIENCE, FAKE_ISSUER } from '../packages/verifier/dist/testing/fake-gatehouse.js';

const REPEAT_POOL = 1_000; // distinct tokens in the repeat phase
const REVOKED_SESSIONS = 5_000; // a realistic revocation list to look things up in

const format = (n) => Math.round(n).toLocaleString('en-US');

/** A copy with its own memory, as the HTTP parser hands each request a new string (no cached hash). */
const freshCopy = (token) => Buffer.from(token, 'latin1').toString('latin1');

async function timed(tokens, verify) {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < tokens.length; i++) await verify(tokens[i]);
  const ns = Number(process.hrtime.bigint() - started);
  const { user, system } = process.cpuUsage(cpu);
  return { ns, cpuUs: user + system, count: tokens.length };
}

function sum(results) {
  return results.reduce((a, b) => ({ ns: a.ns + b.ns, cpuUs: a.cpuUs + b.cpuUs, count: a.count + b.count }));
}

export const perSecond = (r) => (r.count * 1e9) / r.ns;

/**
 * `scale` 1 is the full run (repeat: 8 batches of 50,000; first seen: 6 rounds of 2,000); a
 * smaller one shrinks every count (the smoke test).
 */
export async function runVerifierBench({ scale = 1 } = {}) {
  const REPEAT_BATCH = Math.max(100, Math.round(50_000 * scale));
  const REPEAT_BATCHES = 8;
  const FIRST_SEEN_BATCH = Math.max(20, Math.round(2_000 * scale));
  const FIRST_SEEN_ROUNDS = 6;
  const gatehouse = await FakeGatehouse.start();
  for (let i = 0; i < REVOKED_SESSIONS; i++) gatehouse.revoke({ sid: `revoked-${i}` });
  const verifier = createVerifier(gatehouse.verifierOptions({ cacheSize: 200_000 }));
  await verifier.ready();

  const jwk = gatehouse.keys.get(gatehouse.activeKid).publicJwk;
  const joseKey = await jose.importJWK({ ...jwk, alg: 'ES256' }, 'ES256');
  const joseOptions = {
    issuer: FAKE_ISSUER,
    audience: FAKE_AUDIENCE,
    algorithms: ['ES256'],
    typ: 'at+jwt',
    clockTolerance: 5,
    requiredClaims: ['sub', 'sid', 'role', 'jti', 'iat', 'exp'],
  };
  const viaVerifier = (token) => verifier.verify(token);
  const viaJose = (token) => jose.jwtVerify(token, joseKey, joseOptions);
  const signBatch = (n) => Array.from({ length: n }, () => gatehouse.sign());

  // Sanity: both accept the same token, and the verifier really checks revocations on repeats.
  const probe = gatehouse.sign({ sid: 'probe' });
  await viaVerifier(probe);
  await viaJose(probe);
  gatehouse.revoke({ sid: 'probe' });
  while (await viaVerifier(probe).then(() => true, () => false)) await new Promise((r) => setTimeout(r, 5));

  // Warm-up (JIT) for both paths.
  for (const token of signBatch(1_000)) {
    await viaVerifier(token);
    await viaJose(token);
  }

  // First seen: the same fresh tokens for both, alternating which goes first each round.
  const firstSeen = { verifier: [], jose: [] };
  for (let round = 0; round < FIRST_SEEN_ROUNDS; round++) {
    const tokens = signBatch(FIRST_SEEN_BATCH);
    const order = round % 2 === 0 ? ['verifier', 'jose'] : ['jose', 'verifier'];
    for (const which of order) {
      firstSeen[which].push(await timed(tokens.map(freshCopy), which === 'verifier' ? viaVerifier : viaJose));
    }
  }

  // The same comparison with 32 verifications in flight: jose's WebCrypto then spreads over
  // libuv's thread pool (more than one core); the verifier stays on the calling thread.
  async function concurrently(tokens, verify, inFlight = 32) {
    let next = 0;
    const cpu = process.cpuUsage(); // the whole process: thread-pool threads included
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < tokens.length) await verify(tokens[next++]);
      }),
    );
    const { user, system } = process.cpuUsage(cpu);
    return { ns: Number(process.hrtime.bigint() - started), cpuUs: user + system, count: tokens.length };
  }
  const parallel = { verifier: [], jose: [] };
  for (let round = 0; round < 2; round++) {
    const tokens = signBatch(FIRST_SEEN_BATCH * 2);
    parallel.jose.push(await concurrently(tokens.map(freshCopy), viaJose));
    parallel.verifier.push(await concurrently(tokens.map(freshCopy), viaVerifier));
  }

  // Repeat: tokens already in the verified-token cache, each request a fresh string.
  const pool = signBatch(REPEAT_POOL);
  for (const token of pool) await viaVerifier(token);
  const repeat = [];
  for (let batch = 0; batch < REPEAT_BATCHES; batch++) {
    const tokens = Array.from({ length: REPEAT_BATCH }, (_, i) => freshCopy(pool[i % REPEAT_POOL]));
    repeat.push(await timed(tokens, viaVerifier));
  }
  const sameStrings = await timed(Array.from({ length: REPEAT_BATCH }, (_, i) => pool[i % REPEAT_POOL]), viaVerifier);

  const repeatTotal = sum(repeat);
  const mine = sum(firstSeen.verifier);
  const theirs = sum(firstSeen.jose);
  const ratio = perSecond(mine) / perSecond(theirs);
  const parallelMine = sum(parallel.verifier);
  const parallelTheirs = sum(parallel.jose);
  await verifier.close();
  await gatehouse.close();
  return { repeatTotal, sameStrings, mine, theirs, ratio, parallelMine, parallelTheirs };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { repeatTotal, sameStrings, mine, theirs, ratio, parallelMine, parallelTheirs } = await runVerifierBench();
  console.log(`Gatehouse verifier benchmark: Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} cores)`);
  console.log(
    `repeat token (cache hit + revocation check, ${REVOKED_SESSIONS} revocations held): ${format(perSecond(repeatTotal))} verifications/s on one core` +
      ` (${(repeatTotal.cpuUs / repeatTotal.count).toFixed(2)} µs CPU each; ${format(perSecond(sameStrings))}/s when the same string objects repeat)`,
  );
  console.log(
    `first-seen token: verifier ${format(perSecond(mine))} verifications/s (${(mine.cpuUs / mine.count).toFixed(1)} µs CPU each)` +
      ` vs jose.jwtVerify ${format(perSecond(theirs))}/s (${(theirs.cpuUs / theirs.count).toFixed(1)} µs CPU each), same key, same tokens, one at a time`,
  );
  console.log(`ratio verifier / jose (first seen): ${ratio.toFixed(2)} (${(ratio * 100).toFixed(0)}%)`);
  console.log(
    `first-seen, 32 in flight: verifier ${format(perSecond(parallelMine))}/s on one thread (${(parallelMine.cpuUs / parallelMine.count).toFixed(1)} µs CPU each)` +
      ` vs jose.jwtVerify ${format(perSecond(parallelTheirs))}/s spread over libuv's thread pool (${(parallelTheirs.cpuUs / parallelTheirs.count).toFixed(1)} µs CPU each);` +
      ` ratio ${(perSecond(parallelMine) / perSecond(parallelTheirs)).toFixed(2)}`,
  );
}
