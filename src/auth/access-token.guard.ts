import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/domain-error.js';
import { AccessTokenService, type Role } from '../tokens/access-token.service.js';
import { IS_PUBLIC, OPTIONAL_AUTH, ROLES, type AuthenticatedRequest } from '../common/auth.decorators.js';

// The auth scheme is case-insensitive (RFC 7235 section 2.1), as in the verifier library.
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/**
 * The global guard: every route needs a valid, unrevoked access token unless marked @Public().
 * No database or network round trip on this path (DESIGN.md "The hot path").
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (header === undefined && this.reflector.getAllAndOverride<boolean>(OPTIONAL_AUTH, targets)) return true;
    const match = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
    if (!match) throw new DomainError('invalid_token', undefined, { headers: { 'www-authenticate': 'Bearer' } });
    request.auth = await this.accessTokens.verify(match[1]);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(request.auth.role)) throw new DomainError('forbidden');
    return true;
  }
}
