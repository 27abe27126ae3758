import { HttpException } from '@nestjs/common';
import { DomainError } from './domain-error.js';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from './error-codes.js';

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the error is not a client mistake and must be logged with its cause. */
  unexpected: boolean;
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
  FST_ERR_VALIDATION: 'validation_failed',
};

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'invalid_token',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

const DRIVER_UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable', 'DatabaseDoesNotExist', 'DatabaseAccessDenied', 'AuthenticationFailed',
  'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionAlreadyClosed',
]);

const DB_UNAVAILABLE_CODES = new Set([
  'P2024', 'P2028', // Prisma: pool timeout, transaction API error (e.g. connection lost mid-transaction)
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', // PostgreSQL connection classes
  // The same from the driver pool directly (Sql): database missing, login refused, server full.
  '3D000', '28000', '28P01', '53300',
]);

/** True when an error (or one of its causes) says the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    if (typeof current !== 'object') return false;
    const candidate = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; kind?: unknown; meta?: unknown };
    if (typeof candidate.code === 'string' && (DB_UNAVAILABLE_CODES.has(candidate.code) || /^P10\d\d$/.test(candidate.code))) {
      return true; // P10xx: Prisma's "cannot reach / connect to / find the database" family
    }
    if (typeof candidate.kind === 'string' && DRIVER_UNAVAILABLE_KINDS.has(candidate.kind)) return true;
    const driverError = (candidate.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
    if (driverError && isDatabaseUnavailable(driverError)) return true;
    if (candidate.name === 'PrismaClientInitializationError') return true;
    if (typeof candidate.message === 'string' && /ECONNREFUSED|Connection terminated|connect ETIMEDOUT|Can't reach database|timeout exceeded when trying to connect|Query read timeout/i.test(candidate.message)) {
      return true;
    }
    current = candidate.cause;
  }
  return false;
}

function response(code: ErrorCode, message?: string, headers: Record<string, string> = {}): ErrorResponse {
  const { status, message: fallback } = ERROR_CODES[code];
  return { status, body: { statusCode: status, code, message: message ?? fallback }, headers, unexpected: false };
}

/**
 * Maps anything thrown anywhere (services, guards, pipes, Fastify's body parser, the database)
 * to API.md's error body. Unknown errors become a generic 500 without internals.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof DomainError) {
    return { status: error.status, body: error.toBody(), headers: error.headers ?? {}, unexpected: false };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = HTTP_STATUS_CODES[status];
    if (code) {
      return response(code);
    }
    return { ...response('internal_error'), unexpected: true };
  }
  if (isDatabaseUnavailable(error)) {
    return { ...response('service_unavailable', 'The database is unavailable; retry later.', { 'retry-after': '5' }), unexpected: true };
  }
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_CODES) {
    const code = FASTIFY_CODES[fastifyCode];
    return response(code, code === 'validation_failed' ? 'The request body is not valid JSON.' : undefined);
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = HTTP_STATUS_CODES[statusCode] ?? 'validation_failed';
    return response(code);
  }
  return { ...response('internal_error'), unexpected: true };
}
