import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module.js';
import { HealthController } from './health.controller.js';
import { HealthRepository } from './health.repository.js';

@Module({ imports: [TokensModule], controllers: [HealthController], providers: [HealthRepository] })
export class HealthModule {}
