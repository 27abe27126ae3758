import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import type { CallerRequest } from './client-auth.guard.js';

const MINUTE_MS = 60_000;

/**
 * POST /oauth/signals per calling client (RATE_LIMIT_SIGNALS_PER_MINUTE), on the shared
 * rate-limit storage (Redis across instances when configured). Runs after ClientAuthGuard, so
 * the budget is the authenticated client's, not its address's: a resource server behind a NAT
 * reporting for many users has its own budget, and an unauthenticated caller never gets here.
 */
@Injectable()
export class SignalRateLimitGuard implements CanActivate {
  private readonly limit: number;

  constructor(
    config: AppConfig,
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
  ) {
    this.limit = config.get('RATE_LIMIT_SIGNALS_PER_MINUTE');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { caller } = context.switchToHttp().getRequest<CallerRequest>();
    const who = caller?.kind === 'client' ? `client:${caller.clientId}` : caller?.kind === 'admin' ? `admin:${caller.sub}` : 'anonymous';
    const record = await this.storage.increment(`signals:${who}`, MINUTE_MS, this.limit, MINUTE_MS, 'signals');
    if (record.isBlocked) {
      const retryAfter = String(Math.max(1, Math.ceil(record.timeToBlockExpire)));
      throw new DomainError('rate_limited', undefined, { headers: { 'retry-after': retryAfter } });
    }
    return true;
  }
}
