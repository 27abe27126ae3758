import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsRegistrableEmail, NormalizedEmail } from '../common/email.js';
import { IsNotCommonPassword } from '../common/password-policy.js';
import { NoNulCharacter } from '../common/validation.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254, description: 'Stored NFKC-normalised, trimmed, lower-cased; one script per label' })
  @NormalizedEmail()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @IsRegistrableEmail()
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 256, description: 'Not one of the 10,000 most common passwords' })
  @IsString()
  @Length(8, 256, { message: 'password must be 8 to 256 characters' })
  @IsNotCommonPassword()
  password: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @NoNulCharacter()
  name?: string;
}

export class LoginDto {
  // Normalised only: accounts registered before the look-alike rules must still sign in.
  @ApiProperty({ example: 'ada@example.com' })
  @NormalizedEmail()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @ApiProperty()
  @IsString()
  @Length(1, 256)
  password: string;
}

export class RefreshDto {
  @ApiPropertyOptional({ description: 'Omit in cookie mode: the HttpOnly cookie carries it.' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  refreshToken?: string;
}

export class LogoutDto extends RefreshDto {}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, 256)
  currentPassword: string;

  @ApiProperty({ minLength: 8, maxLength: 256 })
  @IsString()
  @Length(8, 256, { message: 'newPassword must be 8 to 256 characters' })
  @IsNotCommonPassword()
  newPassword: string;
}

export class PasswordConfirmationDto {
  @ApiProperty()
  @IsString()
  @Length(1, 256)
  password: string;
}
