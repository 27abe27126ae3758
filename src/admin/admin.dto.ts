import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBooleanString, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { OptionalNote, PageLimit, UuidCursor } from '../common/paging.dto.js';
import { NoNulCharacter } from '../common/validation.js';

export class ListUsersQuery {
  @PageLimit(100)
  limit: number = 50;

  @UuidCursor()
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
  @OptionalNote()
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

  @PageLimit(200)
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

  @PageLimit(200)
  limit: number = 50;

  @UuidCursor()
  cursor?: string;
}
