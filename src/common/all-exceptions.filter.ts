import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { oauthErrorFor } from './error-codes.js';
import { toErrorResponse } from './error-mapping.js';

/** The one place errors become HTTP answers (API.md "Conventions"). */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    sendError(reply, error, this.logger);
  }
}

export function sendError(reply: FastifyReply, error: unknown, logger: Logger): void {
  const mapped = toErrorResponse(error);
  if (mapped.unexpected) {
    logger.error(describe(error), error instanceof Error ? error.stack : undefined);
  }
  if (reply.sent) return;
  const body = isOAuthEndpoint(reply.request.url)
    ? { ...mapped.body, error: oauthErrorFor(mapped.body.code), error_description: mapped.body.message }
    : mapped.body;
  // A throttler sets the exact Retry-After before throwing; keep it.
  if (mapped.status === 429 && !reply.getHeader('retry-after')) reply.header('retry-after', '60');
  void reply.status(mapped.status).headers(mapped.headers).type('application/json').send(body);
}

/** RFC 7009 / 7662 (and later RFC 6749-style) endpoints: their errors also speak OAuth. */
function isOAuthEndpoint(url: string | undefined): boolean {
  return typeof url === 'string' && url.startsWith('/oauth/');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return `non-error thrown: ${String(error)}`;
  const causes: string[] = [];
  for (let cause = error.cause, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
    causes.push(`${cause.name}: ${cause.message}`);
  }
  return [`${error.name}: ${error.message}`, ...causes].join(' <- caused by ');
}
