import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClientAuth, type Caller } from './client-auth.service.js';

export interface CallerRequest extends FastifyRequest {
  caller?: Caller;
}

/** Resource-server endpoints: an introspection client (HTTP Basic or body) or an admin bearer. */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(private readonly clientAuth: ClientAuth) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<CallerRequest>();
    request.caller = await this.clientAuth.authenticate(request);
    return true;
  }
}

/** RFC 7009 revocation: client authentication optional, but wrong credentials are refused. */
@Injectable()
export class OptionalClientAuthGuard implements CanActivate {
  constructor(private readonly clientAuth: ClientAuth) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<CallerRequest>();
    request.caller = this.clientAuth.authenticateOptional(request);
    return true;
  }
}

/** The authenticated resource server (or admin, or public client) calling. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  return context.switchToHttp().getRequest<CallerRequest>().caller;
});
