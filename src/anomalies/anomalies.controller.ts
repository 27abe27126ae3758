import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AnomalyPage, AnomalyResult, SecurityEvents } from './anomaly.response.js';
import { ClientContext, CurrentUser, Roles } from '../common/auth.decorators.js';
import type { RequestContext } from '../common/request-context.js';
import { ParseUuid } from '../common/uuid-param.pipe.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { ConfirmAnomalyDto, DismissAnomalyDto, ListAnomaliesQuery, SecurityEventsQuery } from './anomalies.dto.js';
import { AnomalyReview } from './anomaly-review.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/anomalies')
export class AdminAnomaliesController {
  constructor(private readonly review: AnomalyReview) {}

  @Get()
  @ApiOperation({ summary: 'Anomalies, newest first, filtered by status, type and user' })
  @ApiOkResponse({ type: AnomalyPage })
  list(@Query() query: ListAnomaliesQuery) {
    return this.review.list({ status: query.status, type: query.type, userId: query.userId, limit: query.limit, after: query.cursor });
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @ApiOkResponse({ type: AnomalyResult })
  @ApiOperation({ summary: 'Dismiss: a suspension this anomaly caused is lifted unless another open or confirmed anomaly holds it' })
  async dismiss(
    @Param('id', ParseUuid()) id: string,
    @Body() body: DismissAnomalyDto,
    @CurrentUser() admin: VerifiedToken,
    @ClientContext() context: RequestContext,
  ) {
    return { anomaly: await this.review.dismiss(id, body.note, { actorId: admin.sub, context }) };
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOkResponse({ type: AnomalyResult })
  @ApiOperation({ summary: 'Confirm: the action stands; suspend: true escalates to suspend_user' })
  async confirm(
    @Param('id', ParseUuid()) id: string,
    @Body() body: ConfirmAnomalyDto,
    @CurrentUser() admin: VerifiedToken,
    @ClientContext() context: RequestContext,
  ) {
    return { anomaly: await this.review.confirm(id, body, { actorId: admin.sub, context }) };
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me/security-events')
export class SecurityEventsController {
  constructor(private readonly review: AnomalyReview) {}

  @Get()
  @ApiOkResponse({ type: SecurityEvents })
  @ApiOperation({ summary: "The caller's own anomalies, newest first: type, when, network" })
  list(@CurrentUser() bearer: VerifiedToken, @Query() query: SecurityEventsQuery) {
    return this.review.securityEvents(bearer.sub, query.limit);
  }
}
