import { ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from './domain-error.js';

/**
 * Path ids are UUIDs: Nest's ParseUUIDPipe, answering with the catalog's validation_failed
 * (API.md shape, the field named) instead of Nest's own 400, and never reaching the database
 * with something that is not one.
 */
export function ParseUuid(field = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new DomainError('validation_failed', 'The request is invalid.', { details: [{ field, message: `${field} must be a UUID` }] }),
  });
}
