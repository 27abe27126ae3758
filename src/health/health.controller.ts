import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth.decorators.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import { HealthRepository } from './health.repository.js';
import { LiveResponse, ReadyResponse } from './health.responses.js';

const PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly repository: HealthRepository,
    private readonly revocations: RevocationService,
  ) {}

  @Get('live')
  @ApiOkResponse({ type: LiveResponse })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  /**
   * Ready when the database answers. Redis is reported but never makes the instance unready:
   * revocations still arrive through the database catch-up loop (API.md "Operations").
   */
  @Get('ready')
  @ApiOkResponse({ type: ReadyResponse })
  @ApiServiceUnavailableResponse({ description: 'service_unavailable in the error shape, plus status, database and redis' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const database = await withTimeout(this.repository.ping(), PING_TIMEOUT_MS).then(
      () => 'up' as const,
      () => 'down' as const,
    );
    const redis = this.revocations.busStatus;
    if (database === 'up') return { status: 'ok', database, redis };
    reply.status(503);
    return { statusCode: 503, code: 'service_unavailable', message: 'The database is unreachable.', status: 'unavailable', database, redis };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}
