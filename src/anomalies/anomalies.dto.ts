import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { ANOMALY_TYPES, type AnomalyType } from '../config/anomaly-policy.js';
import { NoNulCharacter } from '../common/validation.js';

const STATUSES = ['open', 'dismissed', 'confirmed'] as const;

export class ListAnomaliesQuery {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: (typeof STATUSES)[number];

  @ApiPropertyOptional({ enum: ANOMALY_TYPES })
  @IsOptional()
  @IsIn(ANOMALY_TYPES)
  type?: AnomalyType;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @IsUUID()
  cursor?: string;
}

export class DismissAnomalyDto {
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 500)
  @NoNulCharacter()
  note?: string;
}

export class ConfirmAnomalyDto extends DismissAnomalyDto {
  @ApiPropertyOptional({ description: 'Escalate to suspend_user: every session revoked, login refused until dismissed' })
  @IsOptional()
  @IsBoolean()
  suspend?: boolean;
}

export class SecurityEventsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 50;
}
