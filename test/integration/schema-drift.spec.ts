import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runMigrations } from '../../src/database/migration-runner.js';
import { createDatabase, withClient } from '../support/databases.js';
import { getDatamodel, type Datamodel, type DmmfField, type DmmfModel } from '../support/prisma-schema.js';

/**
 * prisma/schema.prisma (what the generated client believes) and prisma/migrations (what the
 * database really is) are written by hand, side by side. This suite parses the schema with
 * Prisma's own parser and compares it, fact by fact, with a database migrated by the boot runner:
 * tables, columns (type, nullability, default present), primary keys, unique and plain indexes,
 * foreign keys and enums. Any drift is listed by name.
 */

const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));
const PG_MAX_IDENTIFIER = 63;
// Defaults Prisma fills in on the client side: no database default is expected for these.
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

function nativeType(native: [string, string[]]): string {
  const [name, args] = native;
  const withArgs = (base: string) => (args.length > 0 ? `${base}(${args.join(',')})` : base);
  switch (name) {
    case 'Uuid':
      return 'uuid';
    case 'Text':
      return 'text';
    case 'VarChar':
      return withArgs('character varying');
    case 'Char':
      return withArgs('character');
    case 'Timestamptz':
      return `timestamp(${args[0] ?? '6'}) with time zone`;
    case 'Timestamp':
      return `timestamp(${args[0] ?? '6'}) without time zone`;
    case 'Date':
      return 'date';
    case 'Integer':
      return 'integer';
    case 'SmallInt':
      return 'smallint';
    case 'BigInt':
      return 'bigint';
    case 'JsonB':
      return 'jsonb';
    case 'Json':
      return 'json';
    case 'Inet':
      return 'inet';
    default:
      return withArgs(name.toLowerCase());
  }
}

/** Prisma's default constraint names: {table}_{columns}_{suffix}, cut to PostgreSQL's 63 bytes. */
function defaultName(table: string, columns: string[], suffix: string): string {
  const base = columns.length > 0 ? `${table}_${columns.join('_')}` : table;
  const full = `${base}_${suffix}`;
  return full.length <= PG_MAX_IDENTIFIER ? full : `${base.slice(0, PG_MAX_IDENTIFIER - suffix.length - 1)}_${suffix}`;
}

const ON_DELETE: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

/** Everything the schema says the database must contain, one comparable line per fact. */
function schemaFacts(datamodel: Datamodel): string[] {
  const facts: string[] = [];
  const tableOf = (model: DmmfModel) => model.dbName ?? model.name;
  const models = new Map(datamodel.models.map((model) => [model.name, model]));
  const enums = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const columnOf = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((f) => f.name === fieldName)!;
    return field.dbName ?? field.name;
  };

  for (const e of datamodel.enums) {
    facts.push(`enum ${e.dbName ?? e.name}: ${e.values.map((v) => v.dbName ?? v.name).join(', ')}`);
  }
  for (const model of datamodel.models) {
    const table = tableOf(model);
    facts.push(`table ${table}`);
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (field.relationFromFields && field.relationFromFields.length > 0) facts.push(foreignKeyFact(model, field));
        continue;
      }
      const type =
        field.kind === 'enum'
          ? enums.get(field.type)!
          : field.nativeType
            ? nativeType(field.nativeType)
            : (SCALAR_TYPES[field.type] ?? `unknown(${field.type})`);
      const fieldDefault = field.default as { name?: string } | undefined;
      const dbDefault = field.hasDefaultValue && !(fieldDefault && CLIENT_SIDE_DEFAULTS.has(fieldDefault.name ?? ''));
      facts.push(`column ${table}.${field.dbName ?? field.name} ${type}${field.isList ? '[]' : ''}${field.isRequired ? ' NOT NULL' : ''}${dbDefault ? ' DEFAULT' : ''}`);
    }
  }
  for (const index of datamodel.indexes) {
    const model = models.get(index.model)!;
    const table = tableOf(model);
    const columns = index.fields.map((f) => columnOf(model, f.name));
    const kind = { id: 'primary key', unique: 'unique index', normal: 'index', fulltext: 'fulltext index' }[index.type];
    const suffix = { id: 'pkey', unique: 'key', normal: 'idx', fulltext: 'idx' }[index.type];
    const name = index.dbName ?? (index.type === 'id' ? `${table}_pkey` : defaultName(table, columns, suffix));
    facts.push(`${kind} ${name} ON ${table} (${columns.join(', ')})`);
  }
  return facts.sort();

  function foreignKeyFact(model: DmmfModel, field: DmmfField): string {
    const target = models.get(field.type)!;
    const columns = field.relationFromFields!.map((name) => columnOf(model, name));
    const targetColumns = (field.relationToFields ?? []).map((name) => columnOf(target, name));
    const optional = field.relationFromFields!.some((name) => !model.fields.find((f) => f.name === name)!.isRequired);
    const onDelete = ON_DELETE[field.relationOnDelete ?? (optional ? 'SetNull' : 'Restrict')];
    const onUpdate = ON_DELETE[field.relationOnUpdate ?? 'Cascade'];
    const name = defaultName(tableOf(model), columns, 'fkey');
    return `foreign key ${name} ON ${tableOf(model)} (${columns.join(', ')}) -> ${tableOf(target)} (${targetColumns.join(', ')}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}`;
  }
}

const ACTIONS: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
const unquote = (type: string) => type.replace(/"/g, '');

/** The same facts, read from a database's catalogs. */
async function databaseFacts(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const facts: string[] = [];
    const enums = await client.query<{ name: string; labels: string[] }>(`
      SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`);
    for (const row of enums.rows) facts.push(`enum ${row.name}: ${row.labels.join(', ')}`);

    const tables = await client.query<{ name: string }>(`
      SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'`);
    for (const row of tables.rows) facts.push(`table ${row.name}`);

    const columns = await client.query<{ table: string; column: string; type: string; not_null: boolean; has_default: boolean }>(`
      SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
             a.attnotnull AS not_null, (ad.adbin IS NOT NULL) AS has_default
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'
        AND a.attnum > 0 AND NOT a.attisdropped`);
    for (const row of columns.rows) {
      facts.push(`column ${row.table}.${row.column} ${unquote(row.type)}${row.not_null ? ' NOT NULL' : ''}${row.has_default ? ' DEFAULT' : ''}`);
    }

    const indexes = await client.query<{ table: string; name: string; primary: boolean; unique: boolean; method: string; columns: string[] }>(`
      SELECT t.relname AS table, i.relname AS name, ix.indisprimary AS primary, ix.indisunique AS unique, am.amname AS method,
             array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
      FROM pg_index ix
      JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`);
    for (const row of indexes.rows) {
      const kind = row.primary ? 'primary key' : row.unique ? 'unique index' : 'index';
      facts.push(`${kind} ${row.name} ON ${row.table} (${row.columns.join(', ')})${row.method === 'btree' ? '' : ` USING ${row.method}`}`);
    }

    const foreignKeys = await client.query<{ name: string; table: string; target: string; columns: string[]; target_columns: string[]; on_delete: string; on_update: string }>(`
      SELECT con.conname AS name, t.relname AS table, rt.relname AS target,
             con.confdeltype AS on_delete, con.confupdtype AS on_update,
             array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
             array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS target_columns
      FROM pg_constraint con
      JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class rt ON rt.oid = con.confrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND con.contype = 'f'`);
    for (const row of foreignKeys.rows) {
      facts.push(
        `foreign key ${row.name} ON ${row.table} (${row.columns.join(', ')}) -> ${row.target} (${row.target_columns.join(', ')}) ON DELETE ${ACTIONS[row.on_delete]} ON UPDATE ${ACTIONS[row.on_update]}`,
      );
    }
    return facts.sort();
  });
}

/** Facts on one side only: empty when schema and database agree. */
function drift(schema: string[], database: string[]): { onlyInSchema: string[]; onlyInDatabase: string[] } {
  return {
    onlyInSchema: schema.filter((fact) => !database.includes(fact)),
    onlyInDatabase: database.filter((fact) => !schema.includes(fact)),
  };
}

const schemaSource = readFileSync(SCHEMA_PATH, 'utf8');
let migrated: string[];

beforeAll(async () => {
  // A database built exactly the way the server builds it at boot.
  const url = await createDatabase(inject('databaseAdminUrl'), `${inject('runPrefix')}_drift_${randomUUID().slice(0, 8)}`);
  await runMigrations(url);
  migrated = await databaseFacts(url);
});

describe('prisma/schema.prisma and prisma/migrations', () => {
  it('describe the same database: tables, columns, types, nullability, defaults, keys, indexes, foreign keys, enums', () => {
    const expected = schemaFacts(getDatamodel(schemaSource));
    expect(drift(expected, migrated)).toEqual({ onlyInSchema: [], onlyInDatabase: [] });
  });

  it('the comparison covers every model and table (it is not vacuously empty)', () => {
    const datamodel = getDatamodel(schemaSource);
    const facts = schemaFacts(datamodel);
    expect(datamodel.models.length).toBeGreaterThanOrEqual(7);
    for (const model of datamodel.models) expect(facts).toContain(`table ${model.dbName ?? model.name}`);
    expect(migrated).toContain('unique index users_email_key ON users (email)');
    expect(migrated).toContain('column users.password_hash text NOT NULL');
    expect(migrated).toContain('column sessions.expires_at timestamp(3) with time zone NOT NULL');
  });
});

describe('the drift check itself (each edit below, made to schema.prisma without SQL, must be caught)', () => {
  /** The drift an edit adds (whatever drift the real schema has is the first test's business). */
  function driftAfter(edit: (source: string) => string) {
    const edited = edit(schemaSource);
    expect(edited).not.toBe(schemaSource);
    const before = drift(schemaFacts(getDatamodel(schemaSource)), migrated);
    const after = drift(schemaFacts(getDatamodel(edited)), migrated);
    return {
      onlyInSchema: after.onlyInSchema.filter((fact) => !before.onlyInSchema.includes(fact)),
      onlyInDatabase: after.onlyInDatabase.filter((fact) => !before.onlyInDatabase.includes(fact)),
    };
  }

  it('a new field', () => {
    const result = driftAfter((s) => s.replace(/(model User \{\n)/, '$1  nickname String?\n'));
    expect(result.onlyInSchema).toEqual(['column users.nickname text']);
  });

  it('a field made required', () => {
    const result = driftAfter((s) => s.replace(/^(\s+name\s+)String\?/m, '$1String'));
    expect(result.onlyInSchema).toEqual(['column users.name text NOT NULL']);
    expect(result.onlyInDatabase).toEqual(['column users.name text']);
  });

  it('a changed native type', () => {
    const result = driftAfter((s) => s.replace(/(revokedAt\s+DateTime\?\s+@map\("revoked_at"\)) @db\.Timestamptz\(3\)/, '$1'));
    expect(result.onlyInSchema).toEqual(['column sessions.revoked_at timestamp(3) without time zone']);
  });

  it('a new unique constraint', () => {
    const result = driftAfter((s) => s.replace(/(ip\s+String\?)\n/, '$1 @unique\n'));
    expect(result.onlyInSchema).toEqual(['unique index sessions_ip_key ON sessions (ip)']);
  });

  it('a removed index', () => {
    const result = driftAfter((s) => s.replace(/\n\s+@@index\(\[createdAt\]\)/, ''));
    expect(result.onlyInDatabase).toEqual(['index revocation_events_created_at_idx ON revocation_events (created_at)']);
  });

  it('a renamed column mapping', () => {
    const result = driftAfter((s) => s.replace('@map("user_agent")', '@map("useragent")'));
    expect(result.onlyInSchema.some((fact) => fact.includes('useragent'))).toBe(true);
  });

  it('a new enum value', () => {
    const result = driftAfter((s) => s.replace(/enum Role \{\n\s+user\n\s+admin\n/, 'enum Role {\n  user\n  admin\n  auditor\n'));
    expect(result.onlyInSchema).toEqual(['enum Role: user, admin, auditor']);
  });

  it('a changed referential action', () => {
    const result = driftAfter((s) => s.replace(/(user\s+User\s+@relation\(fields: \[userId\], references: \[id\], onDelete: )Cascade/, '$1Restrict'));
    expect(result.onlyInSchema).toEqual([expect.stringMatching(/^foreign key sessions_user_id_fkey .* ON DELETE RESTRICT/)]);
  });

  it('a new model', () => {
    const result = driftAfter((s) => `${s}\nmodel Widget {\n  id String @id @db.Uuid\n  @@map("widgets")\n}\n`);
    expect(result.onlyInSchema).toEqual(expect.arrayContaining(['table widgets', 'column widgets.id uuid NOT NULL', 'primary key widgets_pkey ON widgets (id)']));
  });
});
