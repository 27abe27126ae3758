import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WASM (PGlite), persisted under DATA_DIR and served on a loopback
 * socket so the very same Prisma adapter and migration runner work unchanged (DESIGN.md
 * "Processes and storage"). PGlite is one backend: the socket server takes one connection and
 * the pool is sized to match, which keeps transactions from interleaving.
 */
export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const directory = path.resolve(dataDir, 'pgdata');
  await mkdir(directory, { recursive: true });
  const db = await PGlite.create(directory);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgresql://postgres:postgres@${address}/postgres?sslmode=disable`,
    dataDir: directory,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
