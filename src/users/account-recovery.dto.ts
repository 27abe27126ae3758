import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trim)
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

  @ApiProperty({ minLength: 8, maxLength: 256 })
  @IsString()
  @Length(8, 256, { message: 'newPassword must be 8 to 256 characters' })
  newPassword: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the link in the verification mail' })
  @IsString()
  @Length(1, 512)
  token: string;
}

export class ChangeEmailDto {
  @ApiProperty({ example: 'ada@new.example', maxLength: 254 })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'newEmail must be a valid email address' })
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
