import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AdminAnomaliesController, SecurityEventsController } from './anomalies.controller.js';
import { AnomalyReview } from './anomaly-review.service.js';

/** Review of anomalies; raising them is AnomalyResponder's (SessionsModule). */
@Module({
  imports: [SessionsModule, TokensModule, AuditModule],
  controllers: [AdminAnomaliesController, SecurityEventsController],
  providers: [AnomalyReview],
})
export class AnomaliesModule {}
