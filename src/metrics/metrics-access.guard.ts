import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';

/** Constant-time check of an Authorization header against `Bearer <token>` (hashed: equal lengths). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}

/**
 * GET /metrics on the API port (issue 8 #11): behind METRICS_TOKEN when set, public outside
 * production without it, and off in production without it or when METRICS_PORT gives metrics a
 * listener of their own.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    switch (this.config.metricsExposure) {
      case 'public':
        return true;
      case 'own-port':
        throw new DomainError('not_found', 'Metrics are served on METRICS_PORT, not here.');
      case 'off':
        throw new DomainError('not_found', 'Metrics are off in production: set METRICS_TOKEN or METRICS_PORT to expose them.');
      case 'token': {
        const request = context.switchToHttp().getRequest<FastifyRequest>();
        if (bearerMatches(request.headers.authorization, this.config.get('METRICS_TOKEN')!)) return true;
        throw new DomainError('invalid_token', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.', {
          headers: { 'www-authenticate': 'Bearer realm="metrics"' },
        });
      }
    }
  }
}
