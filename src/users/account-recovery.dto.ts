import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { IsRegistrableEmail, NormalizedEmail } from '../common/email.js';
import { IsNotCommonPassword } from '../common/password-policy.js';

export class ForgotPasswordDto {
  // Normalised only, as for login: accounts registered before the look-alike rules can recover too.
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @NormalizedEmail()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the link in the reset mail' })
  @IsString()
  @Length(1, 512)
  token: string;

  @ApiProperty({ minLength: 8, maxLength: 256, description: 'Not one of the 10,000 most common passwords' })
  @IsString()
  @Length(8, 256, { message: 'newPassword must be 8 to 256 characters' })
  @IsNotCommonPassword()
  newPassword: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the link in the verification mail' })
  @IsString()
  @Length(1, 512)
  token: string;
}

export class ChangeEmailDto {
  // The rules of registration: the new address becomes the account's.
  @ApiProperty({ example: 'ada@new.example', maxLength: 254, description: 'Stored NFKC-normalised, trimmed, lower-cased; one script per label' })
  @NormalizedEmail()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'newEmail must be a valid email address' })
  @IsRegistrableEmail()
  newEmail: string;

  @ApiProperty({ description: 'The current password' })
  @IsString()
  @Length(1, 256)
  password: string;
}

/** The 202 bodies: the same whatever happens behind them. */
export class AcceptedResponse {
  @ApiProperty()
  message: string;
}
