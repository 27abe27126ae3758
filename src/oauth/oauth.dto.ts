import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';

/** What a validated RFC 7009 / 7662 request holds (a plain type, so the global pipe skips it). */
export interface TokenRequest {
  token: string;
  token_type_hint?: string;
}

/** Client credentials in the body (RFC 6749 2.3.1, client_secret_post); checked by ClientAuth. */
export class ClientCredentialsInBody {
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_secret?: string;
}

/**
 * RFC 7009 / RFC 7662 request: form-encoded or JSON. Unknown parameters are ignored
 * (RFC 6749 3.2), see oauthBodyPipe.
 */
export class TokenRequestDto extends ClientCredentialsInBody implements TokenRequest {
  @ApiProperty({ description: 'An access token or a refresh token' })
  @IsString()
  @Length(1, 4096)
  token: string;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;
}
