import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from './domain-error.js';
import type { RequestContext } from './request-context.js';
import type { Role, VerifiedToken } from '../tokens/access-token.service.js';

export const IS_PUBLIC = 'gatehouse:public';
export const ROLES = 'gatehouse:roles';
export const OPTIONAL_AUTH = 'gatehouse:optional-auth';

/** No bearer token needed. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** A bearer token is verified if present, but not required (logout, RFC endpoints). */
export const OptionalAuth = () => SetMetadata(OPTIONAL_AUTH, true);

/** The bearer's role must be one of these (403 forbidden otherwise). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

export interface AuthenticatedRequest extends FastifyRequest {
  auth?: VerifiedToken;
}

/** The verified, revocation-checked access token of the caller. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
});

/** What @CurrentUser() gives, from the request itself, on a route the guard protects. */
export function callerOf(request: AuthenticatedRequest): VerifiedToken {
  if (!request.auth) throw new DomainError('invalid_token');
  return request.auth;
}

/** Client IP and user agent, for sessions and the audit trail. */
export const ClientContext = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext =>
  contextOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** The request's client IP (as TRUST_PROXY allows) and user agent. */
export function contextOf(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : undefined };
}
