import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DatabaseConnection } from './database-connection.js';
import { PrismaService } from './prisma.service.js';
import { Sql } from './sql.service.js';
import { Transactions } from './transactions.service.js';

@Global()
@Module({
  providers: [
    { provide: DatabaseConnection, inject: [AppConfig], useFactory: (config: AppConfig) => DatabaseConnection.open(config) },
    Sql,
    PrismaService,
    Transactions,
  ],
  exports: [PrismaService, Sql, DatabaseConnection, Transactions],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DatabaseConnection) private readonly connection: DatabaseConnection,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * The pool closes in the last phase of Nest's shutdown, never in onModuleDestroy: Nest runs
   * each phase for every module before the next one (global modules first), so work that settles
   * in onModuleDestroy or beforeApplicationShutdown (detections, the audit batch) still has its
   * database (README "Graceful shutdown").
   */
  async onApplicationShutdown(): Promise<void> {
    // Ends the driver pool Sql and Prisma share, then the embedded database, if any.
    await this.prisma.$disconnect();
    await this.connection.close();
  }
}
