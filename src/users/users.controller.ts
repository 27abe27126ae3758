import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../common/request-context.js';
import { ChangePasswordDto, PasswordConfirmationDto } from '../auth/auth.dto.js';
import { ClientContext, CurrentUser } from '../common/auth.decorators.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { toUserResponse } from './user.response.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  async me(@CurrentUser() bearer: VerifiedToken) {
    return { user: toUserResponse(await this.users.getById(bearer.sub)) };
  }

  @Post('password')
  @HttpCode(204)
  async changePassword(
    @CurrentUser() bearer: VerifiedToken,
    @Body() body: ChangePasswordDto,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.users.changePassword({ userId: bearer.sub, sessionId: bearer.sid, ...body, context });
  }

  @Delete()
  @HttpCode(204)
  async deleteMe(
    @CurrentUser() bearer: VerifiedToken,
    @Body() body: PasswordConfirmationDto,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.users.deleteSelf({ userId: bearer.sub, password: body.password, context });
  }
}
