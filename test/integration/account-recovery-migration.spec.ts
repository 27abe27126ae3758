import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { MIGRATIONS_DIR, runMigrations } from '../../src/database/migration-runner.js';
import { createDatabase, withClient } from '../support/databases.js';

const MIGRATION = '20261201080100_account_recovery';

describe(`migration ${MIGRATION}`, () => {
  it('counts accounts that existed before it as verified (REQUIRE_EMAIL_VERIFICATION must not lock them out); new ones start unverified', async () => {
    const url = await createDatabase(inject('databaseAdminUrl'), `${inject('runPrefix')}_mig12_${randomUUID().slice(0, 8)}`);
    const before = await mkdtemp(path.join(tmpdir(), 'gatehouse-migrations-'));
    for (const name of (await readdir(MIGRATIONS_DIR)).filter((entry) => entry < MIGRATION)) {
      await cp(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
    }
    await runMigrations(url, before);
    const insert = (email: string) =>
      withClient(url, (client) => client.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [randomUUID(), email]));
    await insert('old@example.test');

    expect((await runMigrations(url)).applied).toContain(MIGRATION);
    await insert('new@example.test');
    const rows = await withClient(url, async (client) =>
      (await client.query<{ email: string; verified: boolean }>(`SELECT email, email_verified_at IS NOT NULL AS verified FROM users ORDER BY email`)).rows,
    );
    expect(rows).toEqual([
      { email: 'new@example.test', verified: false },
      { email: 'old@example.test', verified: true },
    ]);
  });
});
