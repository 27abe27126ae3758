import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { DatabaseConnection } from './database-connection.js';

/**
 * The connection pool, shared by Prisma (PrismaService hands it to its driver adapter) and by
 * the few statements on the hottest paths that skip Prisma's query machinery (refresh rotation,
 * the revocation catch-up read; issue 10). One pool: the embedded database's single connection
 * is shared, and the pool size means what it says. Injected only into repositories, like Prisma.
 * PostgreSQL errors reach the error filter as they are (their SQLSTATE), which maps a lost or
 * missing database to 503 as it does for Prisma's.
 */
@Injectable()
export class Sql {
  readonly pool: pg.Pool;
  /**
   * Each call site's statement gets a name, so every connection parses and plans it once and
   * then only binds and executes it (issue 10: this halved PostgreSQL's CPU per refresh).
   * Not on the embedded database: PGlite is one backend session that outlives the socket's
   * connections, so a reconnected client would find its names already taken.
   */
  private readonly names: Map<TemplateStringsArray, string> | undefined;

  constructor(connection: DatabaseConnection) {
    this.names = connection.embedded ? undefined : new Map();
    this.pool = new pg.Pool({
      connectionString: connection.url,
      max: connection.poolSize,
      connectionTimeoutMillis: 5000,
      // Surface a dead database as a fast 503 instead of a hung request.
      query_timeout: 15_000,
    });
    // An idle connection dropped by the server is replaced on the next checkout; nothing to do.
    this.pool.on('error', () => undefined);
  }

  /**
   * Rows of one statement written as a tagged template, like Prisma's $queryRaw: every
   * interpolated value is bound as a parameter ($1, $2, ...), never spliced into the text.
   */
  async rows<T extends pg.QueryResultRow>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> {
    const text = strings.reduce((sql, part, index) => `${sql}$${index}${part}`);
    return (await this.pool.query<T>({ name: this.nameOf(strings), text, values })).rows;
  }

  private nameOf(strings: TemplateStringsArray): string | undefined {
    if (!this.names) return undefined;
    let name = this.names.get(strings);
    if (!name) {
      name = `gatehouse_${this.names.size + 1}`;
      this.names.set(strings, name);
    }
    return name;
  }
}
