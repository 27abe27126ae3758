import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClientContext, CurrentUser, Public } from '../common/auth.decorators.js';
import type { RequestContext } from '../common/request-context.js';
import { RateLimited } from '../rate-limit/rate-limit.guard.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { AcceptedResponse, ForgotPasswordDto, ResetPasswordDto, VerifyEmailDto } from './account-recovery.dto.js';
import { EmailVerification } from './email-verification.service.js';
import { PasswordReset } from './password-reset.service.js';

/** The same body for every address: nothing here tells whether an account exists. */
const FORGOT_ACCEPTED = { message: 'If an account uses this address, a password-reset link is on its way to it.' };

@ApiTags('auth')
@Controller('auth')
@RateLimited()
export class AccountRecoveryController {
  constructor(
    private readonly reset: PasswordReset,
    private readonly verification: EmailVerification,
  ) {}

  @Public()
  @Post('password/forgot')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a password-reset link (same answer and timing whether or not the account exists; 429 past the per-address limit)' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  async forgot(@Body() body: ForgotPasswordDto, @ClientContext() context: RequestContext): Promise<AcceptedResponse> {
    await this.reset.request(body.email, context);
    return FORGOT_ACCEPTED;
  }

  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with the token from the mail; every session of the user is revoked' })
  @ApiNoContentResponse()
  async resetPassword(@Body() body: ResetPasswordDto, @ClientContext() context: RequestContext): Promise<void> {
    await this.reset.reset({ token: body.token, newPassword: body.newPassword, context });
  }

  @Public()
  @Post('email/verify')
  @HttpCode(204)
  @ApiOperation({ summary: 'Verify the address (or make a pending email change take effect) with the token from the mail' })
  @ApiNoContentResponse()
  async verify(@Body() body: VerifyEmailDto, @ClientContext() context: RequestContext): Promise<void> {
    await this.verification.verify(body.token, context);
  }

  @ApiBearerAuth()
  @Post('email/verify/resend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a fresh verification link (nothing is sent when the address is verified already)' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  async resend(@CurrentUser() bearer: VerifiedToken): Promise<AcceptedResponse> {
    await this.verification.resend(bearer.sub);
    return { message: 'Unless the address is verified already, a verification link is on its way to it.' };
  }
}
