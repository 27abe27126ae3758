import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { uuidv7 } from '../common/uuid.js';
import { Transactions } from '../database/transactions.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/request-context.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import type { User } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { AccountTokensRepository } from './account-tokens.repository.js';
import { EmailVerification } from './email-verification.service.js';
import { AccountLockoutService } from './account-lockout.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { normalizeEmail } from '../common/email.js';
import { UsersRepository } from './users.repository.js';

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Users');

  constructor(
    private readonly config: AppConfig,
    private readonly repository: UsersRepository,
    private readonly passwords: PasswordHasher,
    private readonly transactions: Transactions,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
    private readonly tokens: AccountTokensRepository,
    private readonly verification: EmailVerification,
    private readonly lockout: AccountLockoutService,
    private readonly anomalies: AnomalyDetector,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bootstrapAdmin();
  }

  async register(input: { email: string; password: string; name?: string }, context: RequestContext): Promise<User> {
    const passwordHash = await this.passwords.hash(input.password, anonymousCaller(context));
    // The user, its verification token and the mail carrying it commit together.
    const user = await this.transactions
      .run(async (tx) => {
        const created = await this.repository.createIn(tx, {
          id: uuidv7(),
          email: normalizeEmail(input.email),
          passwordHash,
          name: input.name ?? null,
          role: 'user',
        });
        await this.verification.issueIn(tx, created);
        return created;
      })
      .catch((error: unknown) => {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw new DomainError('email_taken', undefined, { cause: error });
        throw error;
      });
    this.verification.nudge();
    this.audit.recordDetached({ type: 'user_registered', userId: user.id, actorId: user.id, ...context });
    return user;
  }

  /**
   * Checks email and password. Unknown email and wrong password cost the same (one bcrypt
   * compare) and answer the same, locked or not; suspension is revealed only to someone who
   * knows the password.
   */
  async authenticate(email: string, password: string, context: RequestContext): Promise<User> {
    const normalized = normalizeEmail(email);
    const user = await this.repository.findByEmail(normalized);
    let valid: boolean;
    try {
      valid = await this.lockout.guard({ email: normalized, userId: user?.id }, context, () =>
        this.passwords.verify(password, user?.passwordHash, anonymousCaller(context)),
      );
    } catch (error) {
      // A guess at a locked account is a failed login too: the lockout defends, the anomaly is for review.
      if (user && error instanceof DomainError && error.code === 'account_locked') this.anomalies.loginFailed({ userId: user.id, context, locked: true });
      throw error;
    }
    if (user && !valid) this.anomalies.loginFailed({ userId: user.id, context, locked: false });
    if (!user || !valid) {
      this.audit.recordDetached({ type: 'login_failed', userId: user?.id ?? null, ...context, details: { reason: 'invalid_credentials' } });
      throw new DomainError('invalid_credentials');
    }
    if (user.status === 'suspended') {
      this.audit.recordDetached({ type: 'login_failed', userId: user.id, ...context, details: { reason: 'account_suspended' } });
      throw new DomainError('account_suspended');
    }
    // After the password check, so it tells a guesser nothing.
    if (this.config.get('REQUIRE_EMAIL_VERIFICATION') && !user.emailVerifiedAt) {
      this.audit.recordDetached({ type: 'login_failed', userId: user.id, ...context, details: { reason: 'email_not_verified' } });
      throw new DomainError('email_not_verified');
    }
    return user;
  }

  async getById(id: string): Promise<User> {
    const user = await this.repository.findById(id);
    if (!user) throw new DomainError('not_found', 'User not found.');
    return user;
  }

  /** Changes the password and revokes every other session of the user, in one transaction. */
  async changePassword(params: {
    userId: string;
    sessionId: string;
    currentPassword: string;
    newPassword: string;
    context: RequestContext;
  }): Promise<void> {
    const user = await this.getById(params.userId);
    if (!(await this.checkPassword(user, params.currentPassword, params.context))) {
      throw new DomainError('invalid_credentials', 'The current password is incorrect.');
    }
    const passwordHash = await this.passwords.hash(params.newPassword, userCaller(user.id));
    await this.revocations.transaction(async (tx, revoke) => {
      await this.repository.updatePassword(tx, user.id, passwordHash);
      // A reset link mailed before the change must not set the password back.
      await this.tokens.invalidateForUser(tx, user.id, ['password_reset'], 'password_change');
      const sessionsRevoked = await this.sessions.revokeAllForUserIn(tx, revoke, {
        userId: user.id,
        reason: 'password_change',
        exceptSessionId: params.sessionId,
      });
      await this.audit.record(
        {
          type: 'password_changed',
          userId: user.id,
          actorId: user.id,
          sessionId: params.sessionId,
          ...params.context,
          details: { reason: 'password_change', sessionsRevoked },
        },
        tx,
      );
    });
  }

  /** DELETE /users/me: password required; the last active admin cannot delete itself. */
  async deleteSelf(params: { userId: string; password: string; context: RequestContext }): Promise<void> {
    const user = await this.getById(params.userId);
    if (!(await this.checkPassword(user, params.password, params.context))) {
      throw new DomainError('invalid_credentials', 'The password is incorrect.');
    }
    await this.deleteUser({ userId: user.id, actorId: user.id, context: params.context });
  }

  /**
   * A signed-in user confirming their password (password change, deletion, email change): under
   * the account's lockout budget, so a stolen access token cannot guess the password without end,
   * and in the user's own line of the hashing queue.
   */
  async checkPassword(user: User, password: string, context: RequestContext): Promise<boolean> {
    return this.lockout.guard({ email: user.email, userId: user.id }, context, () =>
      this.passwords.verify(password, user.passwordHash, userCaller(user.id)),
    );
  }

  /** Deletes a user and revokes every session, in one transaction (self-service and admin). */
  async deleteUser(params: { userId: string; actorId: string; context: RequestContext }): Promise<void> {
    await this.revocations.transaction(async (tx, revoke) => {
      await this.repository.lockAdminChanges(tx);
      const user = await this.repository.lockById(tx, params.userId);
      if (!user) throw new DomainError('not_found', 'User not found.');
      if (user.role === 'admin' && user.status === 'active' && (await this.repository.countActiveAdmins(tx)) <= 1) {
        throw new DomainError('last_admin');
      }
      await this.sessions.lockForUserDeletionIn(tx, user.id);
      const sessionsRevoked = await this.sessions.revokeAllForUserIn(tx, revoke, { userId: user.id, reason: 'deletion' });
      await this.repository.delete(tx, user.id);
      await this.audit.record(
        {
          type: 'user_deleted',
          userId: user.id,
          actorId: params.actorId,
          ...params.context,
          details: { reason: 'deletion', email: user.email, sessionsRevoked },
        },
        tx,
      );
    });
  }

  /** Creates the first admin from BOOTSTRAP_ADMIN_* when no admin exists (safe across instances). */
  private async bootstrapAdmin(): Promise<void> {
    const email = this.config.get('BOOTSTRAP_ADMIN_EMAIL');
    const password = this.config.get('BOOTSTRAP_ADMIN_PASSWORD');
    if (!email || !password) return;
    if ((await this.repository.countActiveAdmins()) > 0) return;
    const passwordHash = await this.passwords.hash(password);
    const created = await this.transactions.run(async (tx) => {
      await this.repository.lockAdminChanges(tx);
      if ((await this.repository.countActiveAdmins(tx)) > 0) return undefined;
      if (await this.repository.findByEmailIn(tx, normalizeEmail(email))) {
        this.logger.warn(`BOOTSTRAP_ADMIN_EMAIL ${normalizeEmail(email)} belongs to an existing non-admin user; not promoting it`);
        return undefined;
      }
      // The operator chose this address in the configuration: it counts as verified.
      return this.repository.createIn(tx, { id: uuidv7(), email: normalizeEmail(email), passwordHash, role: 'admin', emailVerifiedAt: new Date() });
    });
    if (created) {
      this.logger.log(`bootstrap admin: ${created.email}`);
      this.audit.recordDetached({ type: 'admin_bootstrapped', userId: created.id });
    }
  }
}

/** Whose line of the hashing queue an anonymous request waits in (PasswordHasher). */
function anonymousCaller(context: RequestContext): string {
  return `ip:${context.ip ?? 'unknown'}`;
}

function userCaller(userId: string): string {
  return `user:${userId}`;
}
