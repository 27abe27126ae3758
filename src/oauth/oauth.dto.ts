import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';

/** RFC 7009 / RFC 7662 request: form-encoded or JSON. */
export class TokenRequestDto {
  @ApiProperty({ description: 'An access token or a refresh token' })
  @IsString()
  @Length(1, 4096)
  token: string;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;

  // Client credentials in the body (RFC 6749 2.3.1) are accepted and ignored for revocation;
  // introspection requires HTTP Basic or an admin bearer.
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_secret?: string;
}
