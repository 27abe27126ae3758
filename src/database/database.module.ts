import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DatabaseConnection } from './database-connection.js';
import { PrismaService } from './prisma.service.js';
import { Transactions } from './transactions.service.js';

@Global()
@Module({
  providers: [
    { provide: DatabaseConnection, inject: [AppConfig], useFactory: (config: AppConfig) => DatabaseConnection.open(config) },
    PrismaService,
    Transactions,
  ],
  exports: [PrismaService, DatabaseConnection, Transactions],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DatabaseConnection) private readonly connection: DatabaseConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}
