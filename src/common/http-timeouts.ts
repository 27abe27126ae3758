import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import type { AppConfig } from '../config/app-config.js';

/**
 * Slow and unfinished requests (issue 8 #10). Fastify disables Node's request timeout by default,
 * so a POST whose body never finished held its socket forever. Now the headers and the whole body
 * must arrive within REQUEST_TIMEOUT_MS of the connection (or of the previous response, on a
 * kept-alive one), else Node answers 408 request_timeout (see clientErrorHandler) and closes.
 * Responses are not limited: a revocation feed stream lives as long as it needs to.
 */
export function httpTimeouts(config: AppConfig): Pick<FastifyHttpOptions<Server>, 'requestTimeout' | 'keepAliveTimeout' | 'http'> {
  const requestTimeout = config.get('REQUEST_TIMEOUT_MS');
  return {
    requestTimeout,
    // Idle kept-alive sockets close after this; longer than common load balancers' idle timeout
    // (60 s), so the balancer, not Gatehouse, closes first and never reuses a closing socket.
    keepAliveTimeout: config.get('KEEP_ALIVE_TIMEOUT_MS'),
    http: {
      headersTimeout: requestTimeout,
      // Node checks the two timeouts above on this interval (30 s by default, which would let a
      // stalled request live up to 30 s past its limit).
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(requestTimeout / 4))),
    },
  };
}
