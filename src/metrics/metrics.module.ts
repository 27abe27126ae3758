import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { MetricsAccessGuard } from './metrics-access.guard.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsServer } from './metrics-server.js';
import { MetricsService } from './metrics.service.js';

@Module({
  imports: [TokensModule, OAuthModule, UsersModule, MailModule, SessionsModule],
  controllers: [MetricsController],
  providers: [MetricsService, MetricsAccessGuard, MetricsServer],
  exports: [MetricsService, MetricsServer],
})
export class MetricsModule {}
