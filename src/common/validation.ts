import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { Matches } from 'class-validator';
import { DomainError } from './domain-error.js';
import type { FieldError } from './error-codes.js';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: rewrite(message) }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function rewrite(message: string): string {
  return message.replace(/^property (\S+) should not exist$/, 'unknown field $1');
}

const COMMON_OPTIONS = {
  whitelist: true,
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
  exceptionFactory: (errors: ValidationError[]) =>
    new DomainError('validation_failed', 'The request is invalid.', { details: flatten(errors) }),
} as const;

/**
 * Validation at the edge (STYLE.md): whitelisted DTOs, unknown fields rejected, every failure
 * answered as validation_failed with one `details` entry per offending field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({ ...COMMON_OPTIONS, forbidNonWhitelisted: true });
}

/**
 * For the OAuth endpoints, where RFC 6749 3.2 says unknown parameters MUST be ignored (e.g. an
 * RFC 8707 `resource`): they are stripped, not refused. Use it as `@Body(oauthBodyPipe(Dto))`
 * on a parameter typed as a plain interface, so the global pipe (which refuses them) skips it.
 */
export function oauthBodyPipe(expectedType: new () => object): ValidationPipe {
  return new ValidationPipe({ ...COMMON_OPTIONS, forbidNonWhitelisted: false, expectedType });
}

/**
 * For string fields stored as PostgreSQL text, which cannot hold U+0000: without it the
 * database refuses the value and the caller gets a 500 instead of validation_failed.
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
export const NoNulCharacter = () => Matches(/^[^\u0000]*$/, { message: '$property must not contain NUL characters' });
