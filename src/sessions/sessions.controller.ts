import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../common/request-context.js';
import { ClientContext, CurrentUser } from '../common/auth.decorators.js';
import { ParseUuid } from '../common/uuid-param.pipe.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  async list(@CurrentUser() bearer: VerifiedToken) {
    return { sessions: await this.sessions.listLive(bearer.sub, bearer.sid) };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(
    @CurrentUser() bearer: VerifiedToken,
    @Param('id', ParseUuid()) id: string,
    @ClientContext() context: RequestContext,
  ): Promise<void> {
    await this.sessions.revokeOwn({ userId: bearer.sub, sessionId: id, context });
  }
}
