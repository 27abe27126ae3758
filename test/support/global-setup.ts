import type { TestProject } from 'vitest/node';
import { runMigrations } from '../../src/database/migration-runner.js';
import { adminUrlFromEnv, createDatabase, dropDatabasesWithPrefix, withClient } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseAdminUrl: string;
    templateDatabase: string;
    runPrefix: string;
  }
}

/**
 * One fresh PostgreSQL database per run: a migrated template, from which every test file
 * clones its own database (so suites never share state). Everything is dropped afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = adminUrlFromEnv();
  try {
    await withClient(adminUrl, (client) => client.query('SELECT 1'));
  } catch (error) {
    throw new Error(
      `The test suite needs PostgreSQL: could not connect to ${new URL(adminUrl).host} (${(error as Error).message}). ` +
        'Start it or set TEST_DATABASE_URL.',
      { cause: error },
    );
  }
  const runPrefix = `gh_test_${Date.now().toString(36)}_${process.pid}`;
  const template = `${runPrefix}_template`;
  const templateUrl = await createDatabase(adminUrl, template);
  await runMigrations(templateUrl);
  project.provide('databaseAdminUrl', adminUrl);
  project.provide('templateDatabase', template);
  project.provide('runPrefix', runPrefix);
  return async () => {
    await dropDatabasesWithPrefix(adminUrl, runPrefix);
  };
}
