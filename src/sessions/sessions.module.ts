import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AnomaliesRepository } from '../anomalies/anomalies.repository.js';
import { AnomalyResponder } from '../anomalies/anomaly-responder.service.js';
import { RefreshRotation } from './refresh-rotation.service.js';
import { RotationRepository } from './rotation.repository.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [TokensModule, AuditModule],
  controllers: [SessionsController],
  // The anomaly responder lives here: its actions are session revocations, and refresh rotation
  // (theft detection) raises through it.
  providers: [SessionsRepository, RotationRepository, SessionsService, RefreshRotation, AnomaliesRepository, AnomalyResponder],
  exports: [SessionsService, SessionsRepository, RefreshRotation, AnomaliesRepository, AnomalyResponder],
})
export class SessionsModule {}
