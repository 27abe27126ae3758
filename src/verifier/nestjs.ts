import { HttpException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { GatehouseClaims, Role } from './access-token.js';
import { extractBearerToken } from './bearer.js';
import { VerifierError } from './verifier-error.js';
import type { GatehouseVerifier } from './verifier.js';

export interface GatehouseAuthGuardOptions {
  /** Only these roles may pass (others get 403 forbidden). Default: any role. */
  roles?: readonly Role[];
}

/**
 * A NestJS guard (Express or Fastify platform) around a verifier: puts the claims on
 * `request.auth`, or throws an HttpException whose body is Gatehouse's error body. Construct it
 * yourself, e.g. `@UseGuards(new GatehouseAuthGuard(verifier))`, or as an APP_GUARD with
 * `useFactory: (verifier) => new GatehouseAuthGuard(verifier)`.
 */
export class GatehouseAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: Pick<GatehouseVerifier, 'verify'>,
    private readonly options: GatehouseAuthGuardOptions = {},
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; auth?: GatehouseClaims }>();
    const token = extractBearerToken(request.headers.authorization);
    if (!token) throw toHttpException(new VerifierError('invalid_token'));
    try {
      request.auth = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof VerifierError) throw toHttpException(error);
      throw error;
    }
    if (this.options.roles && !this.options.roles.includes(request.auth.role)) {
      throw toHttpException(new VerifierError('forbidden'));
    }
    return true;
  }
}

function toHttpException(error: VerifierError): HttpException {
  return new HttpException(error.toBody(), error.status, { cause: error });
}
