import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { oauthErrorFor } from './error-codes.js';
import { describeError } from './error-description.js';
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
    // One line, no stack trace (error-description.ts says what it keeps to debug with).
    logger.error(describeError(error));
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
