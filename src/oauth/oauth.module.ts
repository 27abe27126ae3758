import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { ClientAuthGuard, OptionalClientAuthGuard } from './client-auth.guard.js';
import { ClientAuth } from './client-auth.service.js';
import { OAuthMetadata } from './oauth-metadata.js';
import { OAuthController } from './oauth.controller.js';
import { OAuthService } from './oauth.service.js';
import { RevocationFeedController } from './revocation-feed.controller.js';
import { RevocationFeed } from './revocation-feed.service.js';
import { SignalRateLimitGuard } from './signal-rate-limit.guard.js';
import { SignalsService } from './signals.service.js';

@Module({
  imports: [TokensModule, SessionsModule],
  controllers: [OAuthController, RevocationFeedController],
  providers: [ClientAuth, ClientAuthGuard, OptionalClientAuthGuard, OAuthMetadata, OAuthService, RevocationFeed, SignalsService, SignalRateLimitGuard],
  exports: [RevocationFeed, SignalsService],
})
export class OAuthModule {}
