import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BENCHES = ['refresh', 'login', 'http', 'propagation', 'verifier', 'cache'];

// Bench scripts are not tests (their figures depend on the machine); this only checks that each
// one starts against the build, finishes and reports, with tiny counts (BENCH_SMOKE=1).
describe('npm run bench (smoke: tiny counts)', () => {
  it('runs every benchmark, prints one table and writes it as JSON', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['bench/all.bench.mjs'],
        {
          cwd: root,
          timeout: 240_000,
          env: {
            ...process.env,
            BENCH_SMOKE: '1',
            BENCH_DATABASE_URL: process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres',
            BENCH_REDIS_URL: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
          },
        },
        (_error, out, err) => resolve({ code: child.exitCode, stdout: out, stderr: err }),
      );
    });
    expect(code, stderr).toBe(0);
    for (const bench of BENCHES) expect(stdout).toContain(`[${bench}]`);
    expect(stdout).not.toContain('did not complete');
    expect(stdout).toMatch(/\| figure +\| value +\| target +\| pass +\|/);

    const written = /written: (\S+\.json)/.exec(stdout)?.[1];
    expect(written).toBeDefined();
    const file = path.resolve(root, written!);
    try {
      const report = JSON.parse(readFileSync(file, 'utf8')) as { smoke: boolean; rows: Array<{ figure: string; value: string; target: string; pass: string }> };
      expect(report.smoke).toBe(true);
      for (const figure of ['refreshes/s', 'bcrypt limit', '/auth/session vs /health/live', '/users/me', 'login flood', 'with Redis', 'without Redis', 'first-seen', 'repeat token', 'revocation cache']) {
        expect(report.rows.some((row) => row.figure.includes(figure)), figure).toBe(true);
      }
      await expectReadmeRegenerated(file, report.rows);
    } finally {
      rmSync(file, { force: true });
    }
  }, 300_000);
});

/** bench/readme.mjs puts that output's table between README's markers and touches nothing else (on a copy). */
async function expectReadmeRegenerated(resultsFile: string, rows: Array<{ figure: string; value: string }>): Promise<void> {
  const { END_MARKER, START_MARKER, updateReadme } = (await import(path.join(root, 'bench/readme.mjs'))) as {
    END_MARKER: string;
    START_MARKER: string;
    updateReadme: (results: string, readme: string) => void;
  };
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-readme-'));
  try {
    const copy = path.join(dir, 'README.md');
    writeFileSync(copy, readme);
    updateReadme(resultsFile, copy);
    const updated = readFileSync(copy, 'utf8');
    const outside = (text: string) => text.slice(0, text.indexOf(START_MARKER)) + text.slice(text.indexOf(END_MARKER));
    expect(outside(updated)).toBe(outside(readme));
    const block = updated.slice(updated.indexOf(START_MARKER), updated.indexOf(END_MARKER));
    expect(block).toContain('a smoke run');
    for (const row of rows) expect(block).toContain(`| ${row.figure.replace(/\|/g, '\\|')} | ${row.value.replace(/\|/g, '\\|')} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
