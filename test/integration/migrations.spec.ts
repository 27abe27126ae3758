import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdtemp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { MIGRATIONS_DIR, runMigrations } from '../../src/database/migration-runner.js';
import { createDatabase, withClient } from '../support/databases.js';

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

/** An empty database named under the run prefix, so global teardown drops it. */
async function freshDatabase(): Promise<string> {
  return createDatabase(inject('databaseAdminUrl'), `${inject('runPrefix')}_mig_${randomUUID().slice(0, 8)}`);
}

function query<T>(url: string, text: string, values?: unknown[]): Promise<T[]> {
  return withClient(url, async (client) => (await client.query(text, values)).rows as T[]);
}

const migrationRows = (url: string) =>
  query<MigrationRow>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name, started_at');

async function localMigrations(): Promise<Array<{ name: string; checksum: string }>> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash('sha256').update(await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'))).digest('hex'),
    })),
  );
}

async function userTables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

describe('runMigrations', () => {
  it('applies every migration to an empty database, and a second run is a no-op', async () => {
    const url = await freshDatabase();
    const local = await localMigrations();
    expect(local.length).toBeGreaterThan(0);

    const first = await runMigrations(url);
    expect(first).toEqual({ applied: local.map((m) => m.name), alreadyApplied: [], warnings: [] });
    const tables = await userTables(url);
    expect(tables).toEqual(expect.arrayContaining(['_prisma_migrations', 'users', 'sessions', 'refresh_tokens', 'signing_keys', 'revocation_events', 'audit_events']));
    const rowsAfterFirst = await migrationRows(url);

    const second = await runMigrations(url);
    expect(second).toEqual({ applied: [], alreadyApplied: local.map((m) => m.name), warnings: [] });
    expect(await migrationRows(url)).toEqual(rowsAfterFirst);
    expect(await userTables(url)).toEqual(tables);
  });

  it('records each migration the way prisma migrate does: sha256 of migration.sql, finished, one step', async () => {
    const url = await freshDatabase();
    await runMigrations(url);
    const rows = await migrationRows(url);
    const local = await localMigrations();

    expect(rows.map((row) => row.migration_name)).toEqual(local.map((m) => m.name));
    for (const row of rows) {
      const expected = local.find((m) => m.name === row.migration_name)!;
      expect(row.checksum).toBe(expected.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('two runners started together on one fresh database both succeed and apply each migration once', async () => {
    const url = await freshDatabase();
    const local = await localMigrations();

    const [a, b] = await Promise.all([runMigrations(url), runMigrations(url)]);

    const applied = [...a.applied, ...b.applied].sort();
    expect(applied).toEqual(local.map((m) => m.name).sort());
    for (const result of [a, b]) {
      expect(result.warnings).toEqual([]);
      expect([...result.applied, ...result.alreadyApplied].sort()).toEqual(local.map((m) => m.name).sort());
    }
    const rows = await migrationRows(url);
    expect(rows.map((row) => row.migration_name)).toEqual(local.map((m) => m.name));
    expect(rows.every((row) => row.finished_at !== null && row.applied_steps_count === 1)).toBe(true);
  });
});

describe('runMigrations with a migrations folder of its own', () => {
  async function copyOfMigrations(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-migrations-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    return dir;
  }

  it('applies a new migration added later, and only that one', async () => {
    const url = await freshDatabase();
    const dir = await copyOfMigrations();
    await runMigrations(url, dir);
    await mkdir(path.join(dir, '29990101000000_add_widgets'));
    await writeFile(path.join(dir, '29990101000000_add_widgets', 'migration.sql'), 'CREATE TABLE "widgets" ("id" UUID PRIMARY KEY);\n');

    const result = await runMigrations(url, dir);
    expect(result.applied).toEqual(['29990101000000_add_widgets']);
    expect(await userTables(url)).toContain('widgets');
  });

  it('warns (and does not re-apply) when an applied migration was edited afterwards', async () => {
    const url = await freshDatabase();
    const dir = await copyOfMigrations();
    await runMigrations(url, dir);
    const [first] = await localMigrations();
    await writeFile(path.join(dir, first.name, 'migration.sql'), `${await readFile(path.join(dir, first.name, 'migration.sql'), 'utf8')}\n-- edited\n`);

    const result = await runMigrations(url, dir);
    expect(result.applied).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining(`${first.name} was modified`)]);
  });

  it('rolls a failing migration back completely, records the attempt, and retries it once fixed', async () => {
    const url = await freshDatabase();
    const dir = await copyOfMigrations();
    await runMigrations(url, dir);
    const name = '29990101000000_broken';
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), 'CREATE TABLE "half_done" ("id" INT);\nSELECT * FROM "no_such_table";\n');

    await expect(runMigrations(url, dir)).rejects.toThrow(name);
    expect(await userTables(url)).not.toContain('half_done');
    const failed = (await migrationRows(url)).filter((row) => row.migration_name === name);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ finished_at: null, rolled_back_at: expect.any(Date), logs: expect.stringContaining('no_such_table') });

    await writeFile(path.join(dir, name, 'migration.sql'), 'CREATE TABLE "half_done" ("id" INT);\n');
    const retried = await runMigrations(url, dir);
    expect(retried.applied).toEqual([name]);
    expect(await userTables(url)).toContain('half_done');
    const rows = (await migrationRows(url)).filter((row) => row.migration_name === name);
    expect(rows.filter((row) => row.finished_at !== null)).toHaveLength(1);
  });
});
