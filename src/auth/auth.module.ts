import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { RefreshCookie } from './refresh-cookie.js';

@Module({
  imports: [
    TokensModule,
    SessionsModule,
    UsersModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, RefreshCookie, { provide: APP_GUARD, useClass: AccessTokenGuard }],
  exports: [RefreshCookie],
})
export class AuthModule {}
