import { BadRequestException, HttpException, MethodNotAllowedException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.js';
import { ERROR_CODES } from './error-codes.js';
import { isDatabaseUnavailable, toErrorResponse } from './error-mapping.js';

describe('toErrorResponse', () => {
  it('maps a DomainError to its catalog status, code and message, with details and headers', () => {
    const sut = toErrorResponse(
      new DomainError('validation_failed', 'The request is invalid.', {
        details: [{ field: 'email', message: 'email must be a valid email address' }],
      }),
    );
    expect(sut).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        code: 'validation_failed',
        message: 'The request is invalid.',
        details: [{ field: 'email', message: 'email must be a valid email address' }],
      },
      headers: {},
      unexpected: false,
    });
  });

  it('uses the catalog message when a DomainError has none, and never leaks its cause', () => {
    const sut = toErrorResponse(new DomainError('token_revoked', undefined, { cause: new Error('SELECT secret FROM x') }));
    expect(sut.status).toBe(401);
    expect(sut.body).toEqual({ statusCode: 401, code: 'token_revoked', message: ERROR_CODES.token_revoked.message });
    expect(JSON.stringify(sut.body)).not.toContain('SELECT');
  });

  it('keeps the headers a DomainError carries (Retry-After)', () => {
    const sut = toErrorResponse(new DomainError('service_unavailable', 'busy', { headers: { 'retry-after': '1' } }));
    expect(sut.status).toBe(503);
    expect(sut.headers).toEqual({ 'retry-after': '1' });
  });

  // What API.md says, written out here rather than read from the catalog, so a catalog status that
  // drifts from the contract fails. A new code needs its documented status added here too.
  const API_STATUS: Record<string, number> = {
    validation_failed: 400,
    invalid_credentials: 401,
    invalid_token: 401,
    token_expired: 401,
    token_revoked: 401,
    invalid_refresh_token: 401,
    refresh_token_reused: 401,
    session_revoked: 401,
    invalid_client: 401,
    account_suspended: 403,
    forbidden: 403,
    csrf_rejected: 403,
    not_found: 404,
    method_not_allowed: 405,
    request_timeout: 408,
    email_taken: 409,
    last_admin: 409,
    resync_required: 409,
    payload_too_large: 413,
    unsupported_media_type: 415,
    headers_too_large: 431,
    rate_limited: 429,
    internal_error: 500,
    service_unavailable: 503,
    // In API.md's table ahead of their implementation.
    invalid_reset_token: 400,
    invalid_verification_token: 400,
    email_not_verified: 403,
    account_locked: 423,
  };

  it.each(Object.entries(ERROR_CODES))('catalog code %s answers the status API.md gives it', (code) => {
    expect(API_STATUS, `${code} is in the catalog but not in API_STATUS above: add it with the status API.md documents`).toHaveProperty([code]);
    const sut = toErrorResponse(new DomainError(code as keyof typeof ERROR_CODES));
    expect(sut.status).toBe(API_STATUS[code]);
    expect(sut.body).toMatchObject({ statusCode: API_STATUS[code], code });
  });

  it.each([
    [new NotFoundException('Cannot GET /nope'), 404, 'not_found'],
    [new MethodNotAllowedException(), 405, 'method_not_allowed'],
    [new BadRequestException({ secret: 'internal' }), 400, 'validation_failed'],
    [new PayloadTooLargeException(), 413, 'payload_too_large'],
  ])('maps Nest HttpException %# to the API error body without its internals', (error, status, code) => {
    const sut = toErrorResponse(error);
    expect(sut.status).toBe(status);
    expect(sut.body.code).toBe(code);
    expect(Object.keys(sut.body).sort()).toEqual(['code', 'message', 'statusCode']);
    expect(sut.unexpected).toBe(false);
  });

  it('treats an HttpException with a status outside the catalog as an unexpected 500', () => {
    const sut = toErrorResponse(new HttpException('teapot', 418));
    expect(sut.status).toBe(500);
    expect(sut.body.code).toBe('internal_error');
    expect(sut.unexpected).toBe(true);
  });

  it('maps Fastify body errors: too large → 413, invalid JSON → 400 validation_failed', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(toErrorResponse(tooLarge).body).toEqual({ statusCode: 413, code: 'payload_too_large', message: ERROR_CODES.payload_too_large.message });
    const badJson = Object.assign(new SyntaxError('Unexpected token } in JSON at position 7'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });
    const mapped = toErrorResponse(badJson);
    expect(mapped.status).toBe(400);
    expect(mapped.body.code).toBe('validation_failed');
    expect(mapped.body.message).not.toContain('position');
    const mediaType = Object.assign(new Error('Unsupported Media Type: text/plain'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 });
    expect(toErrorResponse(mediaType).body.code).toBe('unsupported_media_type');
  });

  it('answers 503 service_unavailable with Retry-After when the database is unreachable, however deep the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const wrapped = new Error('query failed', { cause: new Error('driver error', { cause: refused }) });
    const sut = toErrorResponse(wrapped);
    expect(sut.status).toBe(503);
    expect(sut.body.code).toBe('service_unavailable');
    expect(sut.headers['retry-after']).toBeDefined();
    expect(JSON.stringify(sut.body)).not.toContain('5432');
    expect(sut.unexpected).toBe(true);
  });

  it('answers an unknown error with a generic 500 that carries no internals, flagged for logging', () => {
    const sut = toErrorResponse(new TypeError("Cannot read properties of undefined (reading 'passwordHash')"));
    expect(sut).toEqual({
      status: 500,
      body: { statusCode: 500, code: 'internal_error', message: ERROR_CODES.internal_error.message },
      headers: {},
      unexpected: true,
    });
    expect(toErrorResponse('a string').status).toBe(500);
    expect(toErrorResponse(null).status).toBe(500);
    expect(toErrorResponse(undefined).status).toBe(500);
  });

  it('maps other 4xx errors by status (a plugin error with statusCode)', () => {
    expect(toErrorResponse({ statusCode: 404, message: 'nope' }).body.code).toBe('not_found');
    expect(toErrorResponse({ statusCode: 400, message: 'bad' }).body.code).toBe('validation_failed');
    expect(toErrorResponse({ statusCode: 500, message: 'x' }).status).toBe(500);
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    [{ code: 'P1001' }],
    [{ code: '57P01' }],
    [{ name: 'PrismaClientInitializationError', message: 'x' }],
    [new Error("Can't reach database server at 127.0.0.1:5432")],
    [new Error('outer', { cause: new Error('Connection terminated unexpectedly') })],
    // pg's own errors, from statements that go to the driver pool directly
    [Object.assign(new Error('database "gone" does not exist'), { code: '3D000', severity: 'FATAL' })],
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    [new Error('timeout exceeded when trying to connect')],
    [new Error('Query read timeout')],
  ])('recognises %o', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([[new Error('unique constraint failed')], [{ code: 'P2002' }], ['ECONNREFUSED'], [null]])('does not flag %o', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
