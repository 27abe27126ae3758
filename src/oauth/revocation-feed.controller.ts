import { Controller, Get, Headers, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth.decorators.js';
import { DomainError } from '../common/domain-error.js';
import { ClientAuthGuard, CurrentCaller } from './client-auth.guard.js';
import type { Caller } from './client-auth.service.js';
import { RevocationFeed } from './revocation-feed.service.js';

/** Revocation event ids are PostgreSQL bigints: 18 digits stay below 2^63, 19 may not. */
const EVENT_ID = /^[0-9]{1,18}$/;

@ApiTags('oauth')
@ApiBasicAuth()
@Public()
@Controller('events')
export class RevocationFeedController {
  constructor(private readonly feed: RevocationFeed) {}

  /** Server-sent events; resume with the Last-Event-ID header (or ?lastEventId=). */
  @UseGuards(ClientAuthGuard)
  @Get('revocations')
  async revocations(
    @Res() reply: FastifyReply,
    @CurrentCaller() caller: Caller,
    @Headers('last-event-id') header: string | undefined,
    @Query('lastEventId') query: unknown,
  ): Promise<void> {
    const given = header ?? query;
    // A repeated query parameter arrives as an array: as malformed as any other non-id.
    const raw = typeof given === 'string' ? given.trim() : given;
    if (raw !== undefined && raw !== '' && (typeof raw !== 'string' || !EVENT_ID.test(raw))) {
      throw new DomainError('validation_failed', 'The request is invalid.', {
        details: [{ field: 'Last-Event-ID', message: 'Last-Event-ID must be a revocation event id' }],
      });
    }
    reply.hijack();
    // A stream opened with an admin bearer lives only as long as that token does.
    await this.feed.stream(reply.raw, raw ? BigInt(raw) : undefined, caller.kind === 'admin' ? caller.stillValid : undefined);
  }
}
