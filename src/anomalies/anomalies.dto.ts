import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { OptionalNote, PageLimit, UuidCursor } from '../common/paging.dto.js';
import { ANOMALY_TYPES, type AnomalyType } from '../config/anomaly-policy.js';

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

  @PageLimit(100)
  limit: number = 50;

  @UuidCursor()
  cursor?: string;
}

export class DismissAnomalyDto {
  @OptionalNote()
  note?: string;
}

export class ConfirmAnomalyDto extends DismissAnomalyDto {
  @ApiPropertyOptional({ description: 'Escalate to suspend_user: every session revoked, login refused until dismissed' })
  @IsOptional()
  @IsBoolean()
  suspend?: boolean;
}

export class SecurityEventsQuery {
  @PageLimit(100)
  limit: number = 50;
}
