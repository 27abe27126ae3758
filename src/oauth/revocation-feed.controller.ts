import { Controller, Headers, Query, Res, Sse, SseSignal, UseGuards, type MessageEvent } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { Public } from '../common/auth.decorators.js';
import { DomainError } from '../common/domain-error.js';
import { ClientAuthGuard, CurrentCaller } from './client-auth.guard.js';
import type { Caller } from './client-auth.service.js';
import { RevocationFeed } from './revocation-feed.service.js';

/** Revocation event ids are PostgreSQL bigints: 18 digits stay below 2^63, 19 may not. */
const EVENT_ID = /^[0-9]{1,18}$/;
/**
 * Characters of events Nest may hold for one stream before dropping it. A safety net only:
 * FeedSession writes a batch only once the connection has drained, so it never gets near this.
 */
const MAX_PENDING_CHARS = 1024 * 1024;

@ApiTags('oauth')
@ApiBasicAuth()
@ApiBearerAuth()
@Public()
@Controller('events')
export class RevocationFeedController {
  constructor(private readonly feed: RevocationFeed) {}

  /** Server-sent events; resume with the Last-Event-ID header (or ?lastEventId=). */
  @UseGuards(ClientAuthGuard)
  @Sse('revocations', { maxPendingDataLength: MAX_PENDING_CHARS })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'text/event-stream. `event: revocation` (id = event id, data `{ sid | sub (+ notBefore, exceptSid?) | kid, reason, revokedAt }`), ' +
      'then `event: ready` once the replay is complete, then live events; `: ping` heartbeats.',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiConflictResponse({ description: '`resync_required`: Last-Event-ID is above the newest event id; reconnect without it.' })
  @ApiTooManyRequestsResponse({ description: '`rate_limited` with Retry-After: SSE_MAX_STREAMS_PER_CLIENT streams already open.' })
  async revocations(
    @CurrentCaller() caller: Caller,
    @Headers('last-event-id') header: string | undefined,
    @Query('lastEventId') query: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
    @SseSignal() signal: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    return this.feed.open({ caller, lastEventId: parseLastEventId(header ?? query), sink: reply.raw, signal });
  }
}

function parseLastEventId(given: unknown): bigint | undefined {
  // A repeated query parameter arrives as an array: as malformed as any other non-id.
  const raw = typeof given === 'string' ? given.trim() : given;
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !EVENT_ID.test(raw)) {
    throw new DomainError('validation_failed', 'The request is invalid.', {
      details: [{ field: 'Last-Event-ID', message: 'Last-Event-ID must be a revocation event id' }],
    });
  }
  return BigInt(raw);
}
