import { ERROR_CODES, type ErrorCode, type ErrorBody, type FieldError } from './error-codes.js';

interface DomainErrorOptions {
  cause?: unknown;
  details?: FieldError[];
  /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
  headers?: Record<string, string>;
}

/**
 * The one error type services throw. The global filter turns it into API.md's error body;
 * the message is user-facing, the cause is logged only.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: ErrorCode;
  readonly details?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message?: string, options: DomainErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { statusCode: this.status, code: this.code, message: this.message };
    if (this.details) body.details = this.details;
    return body;
  }
}
