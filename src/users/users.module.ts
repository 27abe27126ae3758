import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { PasswordHasher } from './password-hasher.service.js';
import { UserAdministration } from './user-administration.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [SessionsModule, TokensModule, AuditModule],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, UserAdministration, PasswordHasher],
  exports: [UsersService, UserAdministration, PasswordHasher],
})
export class UsersModule {}
