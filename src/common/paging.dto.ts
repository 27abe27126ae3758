import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { NoNulCharacter } from './validation.js';

/** `?limit=`: an integer from 1 to `max`; the property's initialiser gives the default. */
export function PageLimit(max: number, defaultValue = 50): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: max, default: defaultValue }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(max),
  );
}

/** `?cursor=`: the `nextCursor` (a row's UUID) of the previous page. */
export function UuidCursor(): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ description: 'nextCursor from the previous page' }), IsOptional(), IsUUID());
}

/** An optional free-text field (a reason, a note): trimmed, 1 to `max` characters, no NUL. */
export function OptionalNote(max = 500): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ maxLength: max }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsString(),
    Length(1, max),
    NoNulCharacter(),
  );
}
