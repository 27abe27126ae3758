import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AdminKeysController } from './admin-keys.controller.js';
import { AdminMailController } from './admin-mail.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { KeyAdministration } from './key-administration.service.js';

@Module({
  imports: [UsersModule, SessionsModule, TokensModule, AuditModule, MailModule],
  controllers: [AdminUsersController, AdminKeysController, AdminAuditController, AdminMailController],
  providers: [KeyAdministration],
})
export class AdminModule {}
