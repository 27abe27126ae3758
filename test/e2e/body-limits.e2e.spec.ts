import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, type LoggedIn } from '../support/factories.js';
import { listenLocally, percentile } from '../support/http-client.js';
import { startApp, type TestApp } from '../support/test-app.js';

// Issue 8 #1: a 100 kB body of nested arrays made validation recurse until the stack overflowed
// (500 after ~240 ms of main-thread CPU), and four in flight pushed GET /auth/session's p99 past 1 s.

/** `{"token":"x","x":[[[...]]]}` nested `depth` deep, as the red team sent it (just under 100 kB). */
function nestedBody(depth: number): string {
  return `{"token":"x","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

const DEEP = nestedBody(50_000);

let t: TestApp;
let baseUrl: string;
let user: LoggedIn;

beforeAll(async () => {
  t = await startApp();
  ({ baseUrl } = await listenLocally(t.app));
  user = await createLoggedIn(t);
});

afterAll(async () => {
  await t?.close();
});

/**
 * One request, with the CPU time this process spent on it (server and client run here): unlike
 * wall time, other processes on a loaded machine barely change it.
 */
async function post(path: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: unknown; cpuMs: number }> {
  const started = process.cpuUsage();
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const json: unknown = await res.json();
  const used = process.cpuUsage(started);
  return { status: res.status, body: json, cpuMs: (used.user + used.system) / 1000 };
}

function median(values: number[]): number {
  return percentile(values, 50);
}

describe('deeply nested JSON', () => {
  it.each(['/oauth/revoke', '/auth/logout', '/auth/login', '/auth/register'])(
    '%s answers 400 validation_failed before any validation, in about the time of a flat bad body',
    async (path) => {
      const deep: number[] = [];
      const flat: number[] = [];
      // Unmeasured first round: the first request of a path pays for compiling its code.
      await post(path, DEEP);
      await post(path, '{"token": 5, "email": 5, "refreshToken": 5}');
      for (let i = 0; i < 5; i++) {
        const res = await post(path, DEEP);
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body).toEqual({
          statusCode: 400,
          code: 'validation_failed',
          message: expect.stringMatching(/nested deeper than 32/),
          details: [{ field: 'body', message: expect.any(String) }],
          // The OAuth endpoints add RFC 6749's members (API.md).
          ...(path.startsWith('/oauth/') ? { error: 'invalid_request', error_description: expect.any(String) } : {}),
        });
        deep.push(res.cpuMs);
        const bad = await post(path, '{"token": 5, "email": 5, "refreshToken": 5}');
        expect(bad.status).toBe(400);
        flat.push(bad.cpuMs);
      }
      // CPU time, not wall time: before the fix a deep body cost ~240 ms of CPU; it must now cost
      // about what a flat bad body does (reading 100 kB instead of 50 bytes allowed for).
      expect(median(deep), `CPU per request: deep ${median(deep).toFixed(1)} ms, flat ${median(flat).toFixed(1)} ms`).toBeLessThan(median(flat) * 3 + 25);
    },
  );

  it('a deep object (not only arrays) and a deep form-encoded-looking JSON string are judged alike', async () => {
    const objects = `{"token":"x","x":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`;
    expect((await post('/oauth/revoke', objects)).status).toBe(400);
    // Brackets inside strings are data, not nesting: a token full of them is only a bad token.
    const inString = JSON.stringify({ token: '[{'.repeat(2000) });
    const res = await post('/oauth/revoke', inString);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('GET /auth/session keeps its p99 while such bodies keep arriving', async () => {
    const session = async () => {
      const started = performance.now();
      const res = await fetch(`${baseUrl}/auth/session`, { headers: user.bearer });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      return performance.now() - started;
    };
    const sample = async (count: number) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) times.push(await session());
      return times;
    };
    await sample(20); // warm-up

    // One measurement: the p99 of 150 sequential checks alone, then with four clients sending
    // deep bodies back to back.
    const measure = async () => {
      const baseline = percentile(await sample(150), 99);
      let attacking = true;
      const attackStatuses: number[] = [];
      const attacker = async () => {
        while (attacking) attackStatuses.push((await post('/oauth/revoke', DEEP)).status);
      };
      const attackers = Array.from({ length: 4 }, attacker);
      try {
        return { baseline, underAttack: percentile(await sample(150), 99), attackStatuses };
      } finally {
        attacking = false;
        await Promise.all(attackers);
      }
    };
    // Before the fix: p99 over 1 s against ~20 ms, in every measurement. Wall time on a shared
    // machine is noisy, so up to three measurements are taken and the best must hold the bound.
    const seen: string[] = [];
    let held = false;
    for (let attempt = 0; attempt < 3 && !held; attempt++) {
      const { baseline, underAttack, attackStatuses } = await measure();
      expect(attackStatuses.length).toBeGreaterThan(8);
      expect(new Set(attackStatuses)).toEqual(new Set([400]));
      seen.push(`baseline p99 ${baseline.toFixed(1)} ms, under attack ${underAttack.toFixed(1)} ms`);
      held = underAttack < baseline * 5 + 150;
    }
    expect(held, seen.join('; ')).toBe(true);
    // Up to three measurements of 300 sequential requests: on a loaded machine that outlasts 30 s.
  }, 120_000);
});
