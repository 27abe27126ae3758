import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { KeyList, RotatedKey } from './admin.responses.js';
import type { RequestContext } from '../common/request-context.js';
import { ClientContext, CurrentUser, Roles } from '../common/auth.decorators.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { KidParam, RevokeKeyQuery } from './admin.dto.js';
import { KeyAdministration } from './key-administration.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/keys')
export class AdminKeysController {
  constructor(private readonly keys: KeyAdministration) {}

  @Get()
  @ApiOkResponse({ type: KeyList })
  list(): Promise<KeyList> {
    return this.keys.list();
  }

  @Post('rotate')
  @HttpCode(201)
  @ApiCreatedResponse({ type: RotatedKey })
  rotate(@CurrentUser() admin: VerifiedToken, @ClientContext() context: RequestContext): Promise<RotatedKey> {
    return this.keys.rotate({ actorId: admin.sub, context });
  }

  @Post(':kid/revoke')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "every token signed by the key rejected at once on every instance" })
  async revoke(
    @Param() params: KidParam,
    @Query() query: RevokeKeyQuery,
    @CurrentUser() admin: VerifiedToken,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.keys.revoke(params.kid, query.revokeSessions === 'true', { actorId: admin.sub, context });
  }
}
