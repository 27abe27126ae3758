import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { GuardController, PassportController } from './app.controller.js';
import { GatehouseJwtStrategy } from './gatehouse-jwt.strategy.js';
import { verifier } from './verifier.instance.js';
import { VerifierModule } from './verifier.module.js';

@Module({
  imports: [VerifierModule, PassportModule],
  controllers: [PassportController, GuardController],
  providers: [GatehouseJwtStrategy],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
// Serve only once the revocation feed is live and the keys are loaded.
await verifier.ready();
await app.listen(Number(process.env.PORT ?? 4001), process.env.HOST ?? '127.0.0.1');
console.log(`listening on ${await app.getUrl()}`);
