import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql } from '../database/sql.service.js';
import { charge, type ChargeOutcome, type LockoutPolicy, type LockoutState } from './account-lockout.policy.js';

interface LockoutRow {
  failures: number;
  level: number;
  locked_until: Date | null;
  expires_at: Date;
  now: Date;
}

/**
 * Account-lockout counters in PostgreSQL (without Redis, or while it is down). Each charge is
 * one transaction holding the account's row lock, on the database's clock, so concurrent checks
 * of one account from any instance are counted one after another. On the driver pool (issue
 * 10): every login runs a charge and a reset, and Prisma's per-query machinery cost more CPU
 * than the statements themselves.
 */
@Injectable()
export class LoginLockoutsRepository {
  constructor(private readonly sql: Sql) {}

  async charge(key: string, policy: LockoutPolicy): Promise<ChargeOutcome> {
    return this.transaction(async (client) => {
      // One upsert that always returns the row, locked: a separate insert-if-missing and
      // SELECT ... FOR UPDATE lets a concurrent reset (a successful login) delete the row in
      // between, and the select then finds nothing.
      const { rows } = await client.query<LockoutRow>({
        name: 'login-lockout-hold',
        text: `INSERT INTO login_lockouts (key, failures, level, locked_until, expires_at)
               VALUES ($1, 0, 0, NULL, clock_timestamp())
               ON CONFLICT (key) DO UPDATE SET failures = login_lockouts.failures
               RETURNING failures, level, locked_until, expires_at, clock_timestamp() AS now`,
        values: [key],
      });
      const row = rows[0];
      const current: LockoutState = {
        failures: row.failures,
        level: row.level,
        lockedUntil: row.locked_until?.getTime() ?? 0,
        expiresAt: row.expires_at.getTime(),
      };
      const { outcome, next } = charge(current, row.now.getTime(), policy);
      await client.query({
        name: 'login-lockout-set',
        text: 'UPDATE login_lockouts SET failures = $2, level = $3, locked_until = $4, expires_at = $5 WHERE key = $1',
        values: [key, next.failures, next.level, next.lockedUntil > 0 ? new Date(next.lockedUntil) : null, new Date(next.expiresAt)],
      });
      return outcome;
    });
  }

  async refund(key: string): Promise<void> {
    await this.sql.rows`UPDATE login_lockouts SET failures = failures - 1 WHERE key = ${key} AND failures > 0`;
  }

  /** Forgets the account's record; deleting nothing (no record: the usual case beside Redis) writes nothing. */
  async reset(key: string): Promise<void> {
    await this.sql.rows`DELETE FROM login_lockouts WHERE key = ${key}`;
  }

  /** One transaction on one pooled connection; rolled back if `work` throws. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.sql.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not handed out again.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError as Error));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
