import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClientAuth, type Caller } from './client-auth.service.js';

interface ClientRequest extends FastifyRequest {
  caller?: Caller;
}

/** Resource-server endpoints: an introspection client (HTTP Basic) or an admin bearer. */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(private readonly clientAuth: ClientAuth) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ClientRequest>();
    request.caller = await this.clientAuth.authenticate(request);
    return true;
  }
}

/** The authenticated resource server (or admin) calling. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  return context.switchToHttp().getRequest<ClientRequest>().caller;
});
