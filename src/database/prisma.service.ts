import { Injectable } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { Sql } from './sql.service.js';

export type Tx = Prisma.TransactionClient;

/** Injected only into repositories (STYLE.md "Only repositories touch Prisma"). */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(sql: Sql) {
    // The pool Sql owns (and configures); Prisma ends it on $disconnect (DatabaseModule, last).
    super({ adapter: new PrismaPg(sql.pool, { disposeExternalPool: true }) });
  }
}
