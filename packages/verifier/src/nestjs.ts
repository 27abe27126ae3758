import { HttpException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { bearerChallenge, VerifierError } from './errors.js';
import { forbiddenReporter, type ForbiddenReporter } from './report-forbidden.js';
import { extractBearerToken, type GatehouseClaims, type Role } from './token-rules.js';
import type { GatehouseVerifier } from './verifier.js';

export interface GatehouseAuthGuardOptions {
  /** Only these roles may pass (others get 403 forbidden). Default: any role. */
  roles?: readonly Role[];
  /** `realm` of the WWW-Authenticate challenge. Default: none. */
  realm?: string;
  /**
   * Report each 403 this guard answers (a role not allowed) to Gatehouse as a 'forbidden'
   * signal (`verifier.report`), in the background. Default false.
   */
  reportForbidden?: boolean;
}

interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  auth?: GatehouseClaims;
  method?: string;
  url?: string;
  originalUrl?: string;
}

/** Express's `res.setHeader` or Fastify's `reply.header`: whichever platform the app runs on. */
interface ResponseWithHeaders {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * A NestJS guard (Express or Fastify platform) around a verifier: puts the claims on
 * `request.auth`, or throws an HttpException whose body is Gatehouse's error body, with an
 * RFC 6750 `WWW-Authenticate` challenge on 401 and 403. Construct it yourself, e.g.
 * `@UseGuards(new GatehouseAuthGuard(verifier))`, or as an APP_GUARD with
 * `useFactory: (verifier) => new GatehouseAuthGuard(verifier)`.
 *
 * `HttpException` comes from `@nestjs/common`, a peer dependency: it resolves to the app's own
 * copy, so the app's exception filters recognise it (a private copy would fail their
 * `instanceof` and turn every refusal into a 500).
 */
export class GatehouseAuthGuard implements CanActivate {
  private readonly reportForbidden: ForbiddenReporter | undefined;

  constructor(
    private readonly verifier: Pick<GatehouseVerifier, 'verify'> & Partial<Pick<GatehouseVerifier, 'report' | 'canReport'>>,
    private readonly options: GatehouseAuthGuardOptions = {},
  ) {
    this.reportForbidden = forbiddenReporter(verifier, options.reportForbidden, 'GatehouseAuthGuard');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    const response = http.getResponse<ResponseWithHeaders>();
    const token = extractBearerToken(request.headers.authorization);
    if (!token) throw this.refuse(response, new VerifierError('invalid_token'), false);
    try {
      request.auth = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof VerifierError) throw this.refuse(response, error, true);
      throw error;
    }
    if (this.options.roles && !this.options.roles.includes(request.auth.role)) {
      this.reportForbidden?.(request.auth, request, `role ${request.auth.role} not in ${this.options.roles.join(', ')}`);
      throw this.refuse(response, new VerifierError('forbidden'), true);
    }
    return true;
  }

  private refuse(response: ResponseWithHeaders, error: VerifierError, tokenPresented: boolean): HttpException {
    const challenge = bearerChallenge(error, tokenPresented, this.options.realm);
    // Headers set now survive the exception filter's reply on both platforms.
    if (challenge) setHeader(response, 'WWW-Authenticate', challenge);
    if (error.status === 503) setHeader(response, 'Retry-After', '1');
    return new HttpException(error.toBody(), error.status, { cause: error });
  }
}

function setHeader(response: ResponseWithHeaders, name: string, value: string): void {
  if (typeof response.setHeader === 'function') response.setHeader(name, value);
  else if (typeof response.header === 'function') response.header(name, value);
}
