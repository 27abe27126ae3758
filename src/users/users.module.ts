import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { AccountRecoveryController } from './account-recovery.controller.js';
import { AccountTokensRepository } from './account-tokens.repository.js';
import { EmailVerification } from './email-verification.service.js';
import { PasswordResetRequestsRepository } from './password-reset-requests.repository.js';
import { PasswordReset } from './password-reset.service.js';
import { AccountLockoutService } from './account-lockout.service.js';
import { LoginLockoutsRepository } from './login-lockouts.repository.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { PasswordHasher } from './password-hasher.service.js';
import { UserAdministration } from './user-administration.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [SessionsModule, TokensModule, AuditModule, MailModule],
  controllers: [UsersController, AccountRecoveryController],
  providers: [
    UsersRepository,
    UsersService,
    UserAdministration,
    PasswordHasher,
    AccountTokensRepository,
    PasswordResetRequestsRepository,
    PasswordReset,
    EmailVerification,
    LoginLockoutsRepository,
    AccountLockoutService,
  ],
  exports: [UsersService, UserAdministration, PasswordHasher, AccountLockoutService],
})
export class UsersModule {}
