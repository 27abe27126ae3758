import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../common/request-context.js';
import { ClientContext, CurrentUser, Roles } from '../common/auth.decorators.js';
import { ParseUuid } from '../common/uuid-param.pipe.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { UserAdministration } from '../users/user-administration.service.js';
import { UsersService } from '../users/users.service.js';
import { UserEnvelope } from '../users/user.response.js';
import { ChangeRoleDto, ListUsersQuery, ReasonDto } from './admin.dto.js';
import { UserDetail, UserPage } from './admin.responses.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly administration: UserAdministration,
    private readonly users: UsersService,
  ) {}

  @Get()
  @ApiOkResponse({ type: UserPage })
  list(@Query() query: ListUsersQuery): Promise<UserPage> {
    return this.administration.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDetail })
  detail(@Param('id', ParseUuid()) id: string): Promise<UserDetail> {
    return this.administration.detail(id);
  }

  @Patch(':id/role')
  @ApiOkResponse({ type: UserEnvelope })
  async changeRole(
    @Param('id', ParseUuid()) id: string,
    @Body() body: ChangeRoleDto,
    @CurrentUser() admin: VerifiedToken,
    @ClientContext() context: RequestContext,
  ): Promise<UserEnvelope> {
    return { user: await this.administration.changeRole(id, body.role, { actorId: admin.sub, context }) };
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOkResponse({ type: UserEnvelope })
  async suspend(
    @Param('id', ParseUuid()) id: string,
    @Body() body: ReasonDto,
    @CurrentUser() admin: VerifiedToken,
    @ClientContext() context: RequestContext,
  ): Promise<UserEnvelope> {
    return { user: await this.administration.suspend(id, body.reason, { actorId: admin.sub, context }) };
  }

  @Post(':id/unsuspend')
  @HttpCode(200)
  @ApiOkResponse({ type: UserEnvelope })
  async unsuspend(@Param('id', ParseUuid()) id: string, @CurrentUser() admin: VerifiedToken, @ClientContext() context: RequestContext): Promise<UserEnvelope> {
    return { user: await this.administration.unsuspend(id, { actorId: admin.sub, context }) };
  }

  @Post(':id/revoke-sessions')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'every session of the user revoked' })
  async revokeSessions(
    @Param('id', ParseUuid()) id: string,
    @Body() body: ReasonDto,
    @CurrentUser() admin: VerifiedToken,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.administration.revokeSessions(id, body.reason, { actorId: admin.sub, context });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'user deleted, every session revoked' })
  async delete(@Param('id', ParseUuid()) id: string, @CurrentUser() admin: VerifiedToken, @ClientContext() context: RequestContext): Promise<void> {
    await this.users.deleteUser({ userId: id, actorId: admin.sub, context });
  }
}
