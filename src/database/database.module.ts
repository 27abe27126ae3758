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
  constructor(@Inject(DatabaseConnection) private readonly connection: DatabaseConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}
