import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../common/request-context.js';
import { ChangePasswordDto, PasswordConfirmationDto } from '../auth/auth.dto.js';
import { ClientContext, CurrentUser } from '../common/auth.decorators.js';
import { RateLimited } from '../rate-limit/rate-limit.guard.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { AcceptedResponse, ChangeEmailDto } from './account-recovery.dto.js';
import { EmailVerification } from './email-verification.service.js';
import { toUserResponse, UserEnvelope } from './user.response.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly verification: EmailVerification,
  ) {}

  @Get()
  @ApiOkResponse({ type: UserEnvelope })
  async me(@CurrentUser() bearer: VerifiedToken): Promise<UserEnvelope> {
    return { user: toUserResponse(await this.users.getById(bearer.sub)) };
  }

  @RateLimited()
  @Post('password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'password changed; every other session revoked' })
  async changePassword(
    @CurrentUser() bearer: VerifiedToken,
    @Body() body: ChangePasswordDto,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.users.changePassword({ userId: bearer.sub, sessionId: bearer.sid, ...body, context });
  }

  @Post('email')
  @HttpCode(202)
  @RateLimited()
  @ApiOperation({ summary: 'Change the email address: takes effect when the new address is verified (then other sessions are revoked and the old address is told)' })
  @ApiAcceptedResponse({ type: AcceptedResponse })
  async changeEmail(
    @CurrentUser() bearer: VerifiedToken,
    @Body() body: ChangeEmailDto,
    @ClientContext() context: RequestContext,
  ): Promise<AcceptedResponse> {
    await this.verification.requestChange({ userId: bearer.sub, sessionId: bearer.sid, newEmail: body.newEmail, password: body.password, context });
    return { message: 'A verification link is on its way to the new address; the change takes effect once it is opened.' };
  }

  @RateLimited()
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'user deleted, every session revoked' })
  async deleteMe(
    @CurrentUser() bearer: VerifiedToken,
    @Body() body: PasswordConfirmationDto,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.users.deleteSelf({ userId: bearer.sub, password: body.password, context });
  }
}
