import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { RefreshRotation } from './refresh-rotation.service.js';
import { RotationRepository } from './rotation.repository.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [TokensModule, AuditModule],
  controllers: [SessionsController],
  providers: [SessionsRepository, RotationRepository, SessionsService, RefreshRotation],
  exports: [SessionsService, RefreshRotation],
})
export class SessionsModule {}
