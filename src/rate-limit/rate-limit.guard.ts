import { Injectable, UseGuards, applyDecorators, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { DomainError } from '../common/domain-error.js';

/**
 * The throttler's 429 in API.md's shape, with a plain Retry-After whichever limit (per IP or per
 * user) ran out: the library names the header after the limit (Retry-After-user).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = String(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
    return Promise.reject(new DomainError('rate_limited', undefined, { headers: { 'retry-after': retryAfter } }));
  }
}

/**
 * Limits an endpoint per client IP (RATE_LIMIT_AUTH_PER_MINUTE, per endpoint) and, when the
 * caller is authenticated, per user (RATE_LIMIT_PASSWORD_PER_USER_PER_MINUTE, one budget across
 * every endpoint that carries this). Put it on every endpoint that hashes or compares a password
 * (login, register, password change, account deletion, reset, email change).
 */
export const RateLimited = () => applyDecorators(UseGuards(RateLimitGuard));
