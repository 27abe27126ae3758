import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { DatabaseConnection } from './database-connection.js';

export type Tx = Prisma.TransactionClient;

/** Injected only into repositories (STYLE.md "Only repositories touch Prisma"). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(connection: DatabaseConnection) {
    super({
      adapter: new PrismaPg({
        connectionString: connection.url,
        max: connection.poolSize,
        connectionTimeoutMillis: 5000,
        // Surface a dead database as a fast 503 instead of a hung request.
        query_timeout: 15_000,
      }),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
