import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { charge, type ChargeOutcome, type LockoutPolicy, type LockoutState } from './account-lockout.policy.js';

/**
 * Account-lockout counters in PostgreSQL (without Redis, or while it is down). Each charge is
 * one transaction holding the account's row lock, on the database's clock, so concurrent checks
 * of one account from any instance are counted one after another.
 */
@Injectable()
export class LoginLockoutsRepository {
  constructor(private readonly prisma: PrismaService) {}

  charge(key: string, policy: LockoutPolicy): Promise<ChargeOutcome> {
    return this.prisma.$transaction(async (tx) => {
      // One upsert that always returns the row, locked: a separate insert-if-missing and
      // SELECT ... FOR UPDATE lets a concurrent reset (a successful login) delete the row in
      // between, and the select then finds nothing.
      const [row] = await tx.$queryRaw<
        Array<{ failures: number; level: number; locked_until: Date | null; expires_at: Date; now: Date }>
      >`
        INSERT INTO login_lockouts (key, failures, level, locked_until, expires_at)
        VALUES (${key}, 0, 0, NULL, clock_timestamp())
        ON CONFLICT (key) DO UPDATE SET failures = login_lockouts.failures
        RETURNING failures, level, locked_until, expires_at, clock_timestamp() AS now`;
      const current: LockoutState = {
        failures: row.failures,
        level: row.level,
        lockedUntil: row.locked_until?.getTime() ?? 0,
        expiresAt: row.expires_at.getTime(),
      };
      const { outcome, next } = charge(current, row.now.getTime(), policy);
      await tx.$executeRaw`
        UPDATE login_lockouts SET failures = ${next.failures}, level = ${next.level},
          locked_until = ${next.lockedUntil > 0 ? new Date(next.lockedUntil) : null}, expires_at = ${new Date(next.expiresAt)}
        WHERE key = ${key}`;
      return outcome;
    });
  }

  async refund(key: string): Promise<void> {
    await this.prisma.$executeRaw`UPDATE login_lockouts SET failures = failures - 1 WHERE key = ${key} AND failures > 0`;
  }

  async reset(key: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM login_lockouts WHERE key = ${key}`;
  }
}
