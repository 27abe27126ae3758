import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseConnection } from '../../src/database/database-connection.js';
import { Sql } from '../../src/database/sql.service.js';
import { createTestDatabase } from '../support/test-app.js';

/** The driver-pool statements of the hot paths are prepared once per connection (issue 10). */
let url: string;
const pools: Sql[] = [];

beforeAll(async () => {
  url = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(pools.map((sql) => sql.pool.end()));
});

function sqlOn(embedded: boolean): Sql {
  // One connection, so the prepared statements seen below are the ones the statements used.
  const sql = new Sql(new DatabaseConnection(url, embedded, 1));
  pools.push(sql);
  return sql;
}

const preparedNames = async (sql: Sql): Promise<string[]> =>
  (await sql.pool.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map((row) => row.name);

describe('Sql statements', () => {
  it('names each call site, so a connection parses and plans it once and then only binds it', async () => {
    const sql = sqlOn(false);
    const twice = (value: number) => sql.rows<{ v: number }>`SELECT ${value}::int AS v`;
    const other = () => sql.rows<{ w: string }>`SELECT ${'x'}::text AS w`;
    expect(await twice(1)).toEqual([{ v: 1 }]);
    expect(await twice(2)).toEqual([{ v: 2 }]);
    expect(await other()).toEqual([{ w: 'x' }]);
    // Two call sites: two statements, however often each ran; values are bound, never spliced in.
    expect(await preparedNames(sql)).toEqual(['gatehouse_1', 'gatehouse_2']);
  });

  it('prepares nothing on the embedded database (one backend session that outlives its connections)', async () => {
    const sql = sqlOn(true);
    expect(await sql.rows<{ v: number }>`SELECT ${3}::int AS v`).toEqual([{ v: 3 }]);
    expect(await preparedNames(sql)).toEqual([]);
  });
});
