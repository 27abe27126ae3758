import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { sendError } from './all-exceptions.filter.js';
import { DomainError } from './domain-error.js';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from './error-codes.js';

// Errors raised by Fastify and Node's HTTP parser before any Nest code runs. Each is answered in
// API.md's error shape and never echoes the request (a URL may carry a token). Issue 8 #8.

const logger = new Logger('Errors');

/** Fastify's router errors (bad percent-encoding, a path parameter over maxParamLength). */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, _request, reply) => {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long.' : 'The URL is malformed.';
  sendError(reply, new DomainError('validation_failed', message), logger);
};

function rawErrorResponse(code: ErrorCode, message: string): string {
  const { status } = ERROR_CODES[code];
  const body = JSON.stringify({ statusCode: status, code, message } satisfies ErrorBody);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n' +
    body
  );
}

/**
 * Node's HTTP parser failed (headers too large, request timeout, not HTTP at all): no request
 * object exists, so the answer is written on the socket, then the socket is closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let response: string;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    response = rawErrorResponse('headers_too_large', 'The request headers are too large.');
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    response = rawErrorResponse('request_timeout', 'The request did not arrive in time.');
  } else {
    response = rawErrorResponse('validation_failed', 'The request is not valid HTTP.');
  }
  if (socket.writable) socket.end(response);
  socket.destroy();
}

/**
 * Answers from a hook directly: routes registered by plugins before Nest installs its error
 * handler (the CORS preflight route) would otherwise use Fastify's default error body.
 */
function refuse(reply: FastifyReply, error: DomainError): void {
  sendError(reply, error, logger);
}

/**
 * 405 method_not_allowed (with `Allow`) instead of 404 for a known path asked with another
 * method. Routes are collected as they are registered; the check runs only on requests that
 * matched no route, so the hot path pays one boolean.
 */
export function answerMethodNotAllowed(fastify: FastifyInstance): void {
  const routes: Array<{ pattern: RegExp; method: string }> = [];
  fastify.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return; // the CORS preflight catch-all and static wildcards
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(`^${route.url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}/?$`);
    for (const method of methods) if (method !== 'OPTIONS') routes.push({ pattern, method });
  });
  // Callback hooks, not async ones: every request passes here, and a promise per hook adds up.
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!request.is404) return done();
    const path = request.url.split('?', 1)[0];
    const allowed = [...new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method))];
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      // Answered here: not calling done() ends the hook chain.
      refuse(reply, new DomainError('method_not_allowed', `This path does not take ${request.method}.`, { headers: { allow: allowed.join(', ') } }));
      return;
    }
    done();
  });
}

/**
 * CORS preflights answered in API.md's shape: one without Origin and
 * Access-Control-Request-Method is malformed (400), one from an origin outside `CORS_ORIGINS`
 * is refused (403). @fastify/cors answers the allowed ones. Must be added before it.
 */
export function refuseBadPreflights(fastify: FastifyInstance, allowedOrigins: readonly string[]): void {
  const allowed = new Set(allowedOrigins);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (request.method !== 'OPTIONS') return done();
    const origin = request.headers.origin;
    if (!origin || !request.headers['access-control-request-method']) {
      refuse(reply, new DomainError('validation_failed', 'A CORS preflight needs Origin and Access-Control-Request-Method headers.'));
    } else if (!allowed.has(origin)) {
      refuse(reply, new DomainError('forbidden', 'This origin is not allowed to call Gatehouse (CORS_ORIGINS).'));
    } else {
      done();
    }
  });
}
