import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** An incoming X-Request-Id is kept only if it is short and plain; anything else gets a fresh id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** For Fastify's genReqId: the caller's X-Request-Id (a proxy's), or a random UUID. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * One JSON line per request (ACCESS_LOG): method, route pattern, status, duration, request
 * id, client IP. Built from fields chosen one by one, never from the request: no URL (its query
 * may carry a token), no headers (Authorization, cookies), no body. The id is echoed as
 * X-Request-Id so a client's report can be matched to the line.
 */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  const log = logger.child({ context: 'access' });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    log.info(
      {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        ip: request.ip,
      },
      'request',
    );
    done();
  });
}
