import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { startEmbeddedDatabase } from './embedded-database.js';
import { runMigrations } from './migration-runner.js';

/** Where the database is, settled (and migrated) before anything queries it. */
export class DatabaseConnection {
  constructor(
    readonly url: string,
    readonly embedded: boolean,
    readonly poolSize: number,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {}

  /** Redacted for logs: host and database name, never credentials. */
  get description(): string {
    if (this.embedded) return 'embedded PostgreSQL (PGlite)';
    const url = new URL(this.url);
    return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
  }

  close(): Promise<void> {
    return this.onClose();
  }

  static async open(config: AppConfig): Promise<DatabaseConnection> {
    const logger = new Logger('Database');
    const configured = config.get('DATABASE_URL');
    const embedded = configured ? undefined : await startEmbeddedDatabase(config.get('DATA_DIR'));
    const url = configured ?? embedded!.url;
    try {
      const result = await runMigrations(url);
      for (const warning of result.warnings) logger.warn(warning);
      if (result.applied.length > 0) logger.log(`applied migrations: ${result.applied.join(', ')}`);
    } catch (error) {
      await embedded?.stop();
      throw error;
    }
    const poolSize = embedded ? 1 : config.get('DATABASE_POOL_SIZE');
    return new DatabaseConnection(url, Boolean(embedded), poolSize, async () => embedded?.stop());
  }
}
