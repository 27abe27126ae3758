import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBooleanString, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { NoNulCharacter } from '../common/validation.js';

export class ListUsersQuery {
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

  @ApiPropertyOptional({ description: 'Users whose email contains this text (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @NoNulCharacter()
  email?: string;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: ['user', 'admin'] })
  @IsIn(['user', 'admin'])
  role: 'user' | 'admin';
}

export class ReasonDto {
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 500)
  @NoNulCharacter()
  reason?: string;
}

export class AuditQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ example: 'login_failed' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_]{1,64}$/)
  type?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  // Audit ids are PostgreSQL bigints: 18 digits stay below 2^63, 19 may not.
  @Matches(/^[0-9]{1,18}$/, { message: 'cursor must be a nextCursor value' })
  cursor?: string;
}

export class RevokeKeyQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false' })
  @IsOptional()
  @IsBooleanString()
  @IsIn(['true', 'false'])
  revokeSessions?: 'true' | 'false';
}

export class KidParam {
  @Matches(/^[A-Za-z0-9_-]{1,128}$/)
  kid: string;
}

export class MailQuery {
  @ApiPropertyOptional({ enum: ['pending', 'sending', 'sent', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'sending', 'sent', 'failed'])
  status?: 'pending' | 'sending' | 'sent' | 'failed';

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @IsUUID()
  cursor?: string;
}
