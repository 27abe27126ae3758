import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';
import { AccessTokenService } from './access-token.service.js';
import { JwksController } from './jwks.controller.js';
import { KeyMaterial } from './key-material.js';
import { InProcessBus, REVOCATION_BUS, RedisBus } from './revocation/revocation-bus.js';
import { NoListener, PgNotifyListener, REVOCATION_LISTENER } from './revocation/revocation-listener.js';
import { DatabaseConnection } from '../database/database-connection.js';
import { RevocationEventsRepository } from './revocation/revocation-events.repository.js';
import { RevocationService } from './revocation/revocation.service.js';
import { SigningKeysRepository } from './signing-keys.repository.js';
import { SigningKeysService } from './signing-keys.service.js';

@Module({
  imports: [JwtModule.register({})],
  controllers: [JwksController],
  providers: [
    { provide: KeyMaterial, inject: [AppConfig], useFactory: (config: AppConfig) => KeyMaterial.load(config) },
    {
      provide: REVOCATION_BUS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const url = config.get('REDIS_URL');
        return url ? new RedisBus(url, config.get('REVOCATION_CHANNEL')) : new InProcessBus();
      },
    },
    {
      provide: REVOCATION_LISTENER,
      inject: [AppConfig, DatabaseConnection],
      // The embedded database serves this one process over one connection: nobody else to tell.
      useFactory: (config: AppConfig, connection: DatabaseConnection) =>
        config.get('REVOCATION_LISTEN') && !connection.embedded ? new PgNotifyListener(connection.url) : new NoListener(),
    },
    RevocationEventsRepository,
    RevocationService,
    SigningKeysRepository,
    SigningKeysService,
    AccessTokenService,
  ],
  exports: [AccessTokenService, RevocationService, SigningKeysService, KeyMaterial],
})
export class TokensModule {}
