import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuditPage } from '../audit/audit-event.response.js';
import { AuditService } from '../audit/audit.service.js';
import { Roles } from '../common/auth.decorators.js';
import { AuditQuery } from './admin.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ type: AuditPage })
  list(@Query() query: AuditQuery): Promise<AuditPage> {
    return this.audit.list({
      userId: query.userId,
      type: query.type,
      limit: query.limit,
      before: query.cursor ? BigInt(query.cursor) : undefined,
    });
  }
}
