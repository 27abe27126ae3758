import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../common/request-context.js';
import { ClientContext, CurrentUser } from '../common/auth.decorators.js';
import { ParseUuid } from '../common/uuid-param.pipe.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { SessionList } from './session.response.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOkResponse({ type: SessionList })
  async list(@CurrentUser() bearer: VerifiedToken): Promise<SessionList> {
    return { sessions: await this.sessions.listLive(bearer.sub, bearer.sid) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'own session revoked (404 for another user\'s)' })
  async revoke(
    @CurrentUser() bearer: VerifiedToken,
    @Param('id', ParseUuid()) id: string,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.sessions.revokeOwn({ userId: bearer.sub, sessionId: id, context });
  }
}
