import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { DomainError } from '../common/domain-error.js';
import { ClientAuth } from './client-auth.service.js';
import { RevocationFeed } from './revocation-feed.service.js';

const EVENT_ID = /^[0-9]{1,19}$/;

@ApiTags('oauth')
@ApiBasicAuth()
@Public()
@Controller('events')
export class RevocationFeedController {
  constructor(
    private readonly clientAuth: ClientAuth,
    private readonly feed: RevocationFeed,
  ) {}

  /** Server-sent events; resume with the Last-Event-ID header (or ?lastEventId=). */
  @Get('revocations')
  async revocations(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Headers('last-event-id') header: string | undefined,
    @Query('lastEventId') query: string | undefined,
  ): Promise<void> {
    await this.clientAuth.authenticate(request);
    const raw = (header ?? query)?.trim();
    if (raw !== undefined && raw !== '' && !EVENT_ID.test(raw)) {
      throw new DomainError('validation_failed', 'The request is invalid.', {
        details: [{ field: 'Last-Event-ID', message: 'Last-Event-ID must be a revocation event id' }],
      });
    }
    reply.hijack();
    await this.feed.stream(reply.raw, raw ? BigInt(raw) : undefined);
  }
}
