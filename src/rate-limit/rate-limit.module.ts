import { Module } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { AuthenticatedRequest } from '../common/auth.decorators.js';
import { AppConfig } from '../config/app-config.js';
import { RateLimitStorage } from './rate-limit.storage.js';

const MINUTE_MS = 60_000;

function authenticatedUser(request: AuthenticatedRequest): string | undefined {
  return request.auth?.sub;
}

@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
class RateLimitStorageModule {}

/**
 * The rate limits of the password-checking endpoints (see @RateLimited()). The access-token
 * guard runs first (a global guard), so the per-user limit knows the verified caller.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RateLimitStorage],
      useFactory: (config: AppConfig, storage: RateLimitStorage): ThrottlerModuleOptions => ({
        storage,
        throttlers: [
          // 'default' keeps the library's standard header names (Retry-After, X-RateLimit-*).
          { name: 'default', ttl: MINUTE_MS, limit: config.get('RATE_LIMIT_AUTH_PER_MINUTE') },
          {
            name: 'user',
            ttl: MINUTE_MS,
            limit: config.get('RATE_LIMIT_PASSWORD_PER_USER_PER_MINUTE'),
            skipIf: (context) => authenticatedUser(context.switchToHttp().getRequest<AuthenticatedRequest>()) === undefined,
            getTracker: (request) => authenticatedUser(request as AuthenticatedRequest) ?? '',
            // One budget per user across every password-checking endpoint.
            generateKey: (_context, tracker, name) => `${name}:${tracker}`,
          },
        ],
      }),
    }),
  ],
})
export class RateLimitModule {}
