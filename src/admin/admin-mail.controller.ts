import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/auth.decorators.js';
import { ParseUuid } from '../common/uuid-param.pipe.js';
import { MailOutbox } from '../mail/mail-outbox.service.js';
import { MailQuery } from './admin.dto.js';
import { MailEnvelope, MailPage } from './admin.responses.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/mail')
export class AdminMailController {
  constructor(private readonly outbox: MailOutbox) {}

  @Get()
  @ApiOperation({ summary: 'The mail outbox, newest first: status, attempts and the last error of each mail (never its body)' })
  @ApiOkResponse({ type: MailPage })
  list(@Query() query: MailQuery): Promise<MailPage> {
    return this.outbox.list(query);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Queue a failed mail again, with a fresh attempt count' })
  @ApiOkResponse({ type: MailEnvelope })
  async retry(@Param('id', ParseUuid()) id: string): Promise<MailEnvelope> {
    return { mail: await this.outbox.retry(id) };
  }
}
