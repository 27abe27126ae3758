import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { extractBearerToken } from '@gatehouse/verifier/core';
import { DomainError } from '../common/domain-error.js';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { AccessTokenService, type Role } from '../tokens/access-token.service.js';
import { IS_PUBLIC, OPTIONAL_AUTH, ROLES, contextOf, type AuthenticatedRequest } from '../common/auth.decorators.js';

/**
 * The global guard: every route needs a valid, unrevoked access token unless marked @Public().
 * No database or network round trip on this path (DESIGN.md "The hot path"). Refusals carry
 * RFC 6750 challenges, as resource servers using @gatehouse/verifier send them.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokenService,
    private readonly anomalies: AnomalyDetector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (header === undefined && this.reflector.getAllAndOverride<boolean>(OPTIONAL_AUTH, targets)) return true;
    // The one bearer parser, shared with the verifier package.
    const token = extractBearerToken(header);
    if (!token) throw new DomainError('invalid_token', undefined, { headers: { 'www-authenticate': 'Bearer' } });
    try {
      request.auth = await this.accessTokens.verify(token);
    } catch (error) {
      if (error instanceof DomainError && error.status === 401) throw withChallenge(error, 'invalid_token');
      throw error;
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(request.auth.role)) {
      // Counted towards repeated_forbidden off the request path (never awaited here).
      this.anomalies.forbiddenAnswered({ userId: request.auth.sub, sessionId: request.auth.sid, context: contextOf(request), source: { kind: 'gatehouse' } });
      throw withChallenge(new DomainError('forbidden'), 'insufficient_scope');
    }
    return true;
  }
}

function withChallenge(error: DomainError, code: 'invalid_token' | 'insufficient_scope'): DomainError {
  return new DomainError(error.code, error.message, {
    cause: error.cause,
    headers: { ...error.headers, 'www-authenticate': `Bearer error="${code}", error_description="${error.message}"` },
  });
}
