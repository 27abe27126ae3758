import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { LOCKOUT_SCRIPT, MAX_LEVEL, REFUND_SCRIPT, type ChargeOutcome, type LockoutPolicy } from './account-lockout.policy.js';
import { LoginLockoutsRepository } from './login-lockouts.repository.js';
import { UsersRepository } from './users.repository.js';

/** Who is checked: the account's normalized email (also for emails no account has). */
export interface LockoutSubject {
  email: string;
  userId?: string;
}

/**
 * Per-account lockout across every address and instance (issue 8 #3, API.md 423
 * account_locked). Counters live in Redis when REDIS_URL is set (one Lua script each, on
 * Redis's clock), else — and while Redis is down — in PostgreSQL (one row lock, on the
 * database's clock). Keyed by the email as typed in, normalized: an email no account has is
 * counted and locked exactly like one that exists, so the answer reveals nothing. Only
 * password-checking endpoints consult it; token verification never does.
 */
@Injectable()
export class AccountLockoutService {
  private readonly policy: LockoutPolicy;

  constructor(
    config: AppConfig,
    private readonly redis: RedisConnection,
    private readonly repository: LoginLockoutsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
  ) {
    this.policy = {
      threshold: config.get('LOGIN_LOCKOUT_THRESHOLD'),
      baseMs: config.get('LOGIN_LOCKOUT_BASE_SECONDS') * 1000,
      capMs: config.get('LOGIN_LOCKOUT_MAX_SECONDS') * 1000,
      decayMs: config.get('LOGIN_LOCKOUT_DECAY_SECONDS') * 1000,
    };
  }

  /**
   * Runs one password check under the account's budget: charged before `check` runs (so
   * concurrent guesses cannot overshoot), cleared when it succeeds, given back when it never
   * ran (an error such as a full hashing queue). Throws 423 account_locked with Retry-After
   * while the account is locked, without running the check: the right password gets the same
   * answer.
   */
  async guard(subject: LockoutSubject, context: RequestContext, check: () => Promise<boolean>): Promise<boolean> {
    const key = lockoutKey(subject.email);
    const outcome = await this.charge(key);
    if (!outcome.allowed) {
      if (outcome.lockedNow) {
        this.audit.recordDetached({
          type: 'account_locked',
          userId: subject.userId ?? null,
          ...context,
          details: { lockedForSeconds: Math.ceil(outcome.lockMs / 1000), level: outcome.level, threshold: this.policy.threshold },
        });
      }
      throw new DomainError('account_locked', undefined, { headers: { 'retry-after': String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))) } });
    }
    let valid: boolean;
    try {
      valid = await check();
    } catch (error) {
      await this.refund(key);
      throw error;
    }
    if (valid) await this.reset(key);
    return valid;
  }

  /**
   * Lifts any lockout of the user's account and forgets its failures (a password reset proves
   * control of the mailbox; i12's reset flow calls this). Audited when there was one to lift.
   */
  async clear(userId: string, context: RequestContext = {}): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) return;
    await this.reset(lockoutKey(user.email));
    this.audit.recordDetached({ type: 'account_unlocked', userId, ...context });
  }

  private async charge(key: string): Promise<ChargeOutcome> {
    const { client } = this.redis;
    if (client) {
      try {
        const [allowed, retryAfterMs, lockedNow, level, lockMs] = (await client.eval(
          LOCKOUT_SCRIPT, 1, key,
          this.policy.threshold, this.policy.baseMs, this.policy.capMs, this.policy.decayMs, MAX_LEVEL,
        )) as number[];
        return allowed === 1
          ? { allowed: true }
          : { allowed: false, retryAfterMs: retryAfterMs, lockedNow: lockedNow === 1, level: level, lockMs: lockMs };
      } catch (error) {
        this.redis.warnFallback('account lockout', error);
      }
    }
    return this.repository.charge(key, this.policy);
  }

  private async refund(key: string): Promise<void> {
    const { client } = this.redis;
    if (client) {
      try {
        await client.eval(REFUND_SCRIPT, 1, key);
        return;
      } catch (error) {
        this.redis.warnFallback('account lockout', error);
      }
    }
    await this.repository.refund(key);
  }

  /**
   * Clears both stores, side by side: a record written while Redis was down must not outlive a
   * success. The PostgreSQL delete of a record that is not there writes nothing.
   */
  private async reset(key: string): Promise<void> {
    const { client } = this.redis;
    await Promise.all([
      client?.del(key).catch((error: unknown) => this.redis.warnFallback('account lockout', error)),
      this.repository.reset(key),
    ]);
  }
}

/** Not the email itself: Redis and the lockout table hold only a digest of it. */
function lockoutKey(normalizedEmail: string): string {
  return `lockout:${createHash('sha256').update(normalizedEmail, 'utf8').digest('hex')}`;
}
