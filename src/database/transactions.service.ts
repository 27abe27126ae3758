import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from './prisma.service.js';

/**
 * Runs a unit of work in one database transaction. Services compose repository calls inside
 * it without touching Prisma themselves; whatever commits together is passed the same `tx`.
 */
@Injectable()
export class Transactions {
  constructor(private readonly prisma: PrismaService) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work, { maxWait: 5000, timeout: 15_000 });
  }
}
