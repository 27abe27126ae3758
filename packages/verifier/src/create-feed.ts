import { RedisRevocationFeed } from './redis-feed.js';
import type { RevocationFeed } from './revocation-feed.js';
import { SseRevocationFeed } from './sse-feed.js';
import type { ResolvedOptions, VerifierOptions } from './verifier.options.js';

/** The feed the options name: SSE (recommended) or the Redis channel. */
export function createFeed(options: VerifierOptions, resolved: ResolvedOptions): RevocationFeed {
  const { revocations } = options;
  if ('redisUrl' in revocations) {
    return new RedisRevocationFeed({
      url: revocations.redisUrl,
      channel: revocations.channel ?? 'gatehouse:revocations',
      logger: resolved.logger,
    });
  }
  return new SseRevocationFeed({
    url: revocations.url,
    clientId: revocations.clientId,
    clientSecret: revocations.clientSecret,
    heartbeatTimeoutMs: revocations.heartbeatTimeoutMs ?? 45_000,
    reconnectDelayMs: revocations.reconnectDelayMs ?? 250,
    maxReconnectDelayMs: 10_000,
    logger: resolved.logger,
  });
}
