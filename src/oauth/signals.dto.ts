import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { NoNulCharacter } from '../common/validation.js';
import { ClientCredentialsInBody } from './oauth.dto.js';

export const SIGNAL_TYPES = ['forbidden', 'suspicious'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

/**
 * POST /oauth/signals (API.md "Anomalies"): what a resource server saw, about exactly one of
 * a token, a session (`sid`) or a user (`sub`). Unknown fields are refused (this is no RFC
 * endpoint); client_id/client_secret are the body form of client authentication.
 */
export class SignalDto extends ClientCredentialsInBody {
  @ApiProperty({ enum: SIGNAL_TYPES, description: 'forbidden counts towards repeated_forbidden; suspicious raises reported' })
  @IsIn(SIGNAL_TYPES)
  type!: SignalType;

  @ApiPropertyOptional({ description: 'The live access token the report is about' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  token?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The session (the token\'s sid claim)' })
  @IsOptional()
  @IsUUID()
  sid?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The user (the token\'s sub claim)' })
  @IsOptional()
  @IsUUID()
  sub?: string;

  @ApiPropertyOptional({ maxLength: 500, description: 'What the resource server saw (kept in the anomaly\'s details)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 500)
  @NoNulCharacter()
  detail?: string;
}
