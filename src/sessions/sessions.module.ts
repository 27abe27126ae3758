import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AnomaliesRepository } from '../anomalies/anomalies.repository.js';
import { AnomalyResponder } from '../anomalies/anomaly-responder.service.js';
import { AnomalyCountersRepository } from '../anomalies/anomaly-counters.repository.js';
import { AnomalyCounters } from '../anomalies/anomaly-counters.service.js';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { UserNetworksRepository } from '../anomalies/user-networks.repository.js';
import { RefreshRotation } from './refresh-rotation.service.js';
import { RotationRepository } from './rotation.repository.js';
import { SessionStartRepository } from './session-start.repository.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [TokensModule, AuditModule],
  controllers: [SessionsController],
  // The anomaly responder and detectors live here: their actions are session revocations, and
  // refresh rotation (theft, network changes) raises through them.
  providers: [
    SessionsRepository,
    RotationRepository,
    SessionStartRepository,
    SessionsService,
    RefreshRotation,
    AnomaliesRepository,
    AnomalyResponder,
    AnomalyCountersRepository,
    AnomalyCounters,
    UserNetworksRepository,
    AnomalyDetector,
  ],
  exports: [SessionsService, SessionsRepository, RefreshRotation, AnomaliesRepository, AnomalyResponder, AnomalyDetector],
})
export class SessionsModule {}
