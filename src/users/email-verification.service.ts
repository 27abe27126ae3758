import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/domain-error.js';
import { normalizeEmail } from '../common/email.js';
import type { RequestContext } from '../common/request-context.js';
import { uuidv7 } from '../common/uuid.js';
import { AppConfig } from '../config/app-config.js';
import type { Tx } from '../database/prisma.service.js';
import { Transactions } from '../database/transactions.service.js';
import type { User } from '../generated/prisma/client.js';
import { MailOutbox } from '../mail/mail-outbox.service.js';
import { emailChangedNotice, emailVerificationMail } from '../mail/mail-templates.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RevocationService, type Revoker } from '../tokens/revocation/revocation.service.js';
import { AccountTokensRepository, generateAccountToken, hashAccountToken, type LiveAccountToken } from './account-tokens.repository.js';
import { AccountLockoutService } from './account-lockout.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { UsersRepository } from './users.repository.js';

const WINDOW_SECONDS = 3600;

/**
 * Email verification and email change (API.md). A verification mail goes out on register and on
 * request; an email change takes effect only when the new address is verified, and then ends
 * every other session and tells the old address (a notice without any link).
 */
@Injectable()
export class EmailVerification {
  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly tokens: AccountTokensRepository,
    private readonly passwords: PasswordHasher,
    private readonly transactions: Transactions,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly outbox: MailOutbox,
    private readonly audit: AuditService,
    private readonly lockout: AccountLockoutService,
  ) {}

  /** Inside the caller's transaction (register): a token for the user's address and its mail. */
  async issueIn(tx: Tx, user: User): Promise<void> {
    await this.issue(tx, user, { kind: 'email_verification', email: user.email });
  }

  /** After the caller's transaction committed. */
  nudge(): void {
    this.outbox.nudge();
  }

  /** POST /auth/email/verify/resend: a fresh link (superseding the last), unless already verified. */
  async resend(userId: string): Promise<void> {
    const sent = await this.transactions.run(async (tx) => {
      const user = await this.users.lockById(tx, userId);
      if (!user) throw new DomainError('not_found', 'User not found.');
      if (user.emailVerifiedAt) return false;
      await this.assertUnderLimit(tx, user.id, 'email_verification');
      await this.issue(tx, user, { kind: 'email_verification', email: user.email });
      return true;
    });
    if (sent) this.outbox.nudge();
  }

  /** POST /users/me/email: password required; the new address is checked now and again at verify. */
  async requestChange(params: { userId: string; sessionId: string; newEmail: string; password: string; context: RequestContext }): Promise<void> {
    const current = await this.users.findById(params.userId);
    if (!current) throw new DomainError('not_found', 'User not found.');
    // Under the account's lockout budget and in the user's own line of the hashing queue (issue 8 #2).
    const valid = await this.lockout.guard({ email: current.email, userId: current.id }, params.context, () =>
      this.passwords.verify(params.password, current.passwordHash, `user:${current.id}`),
    );
    if (!valid) throw new DomainError('invalid_credentials', 'The password is incorrect.');
    const address = normalizeEmail(params.newEmail);
    if (address === current.email) {
      throw new DomainError('validation_failed', 'The request is invalid.', { details: [{ field: 'newEmail', message: 'newEmail is already your address' }] });
    }
    if (await this.users.findByEmail(address)) throw new DomainError('email_taken');
    await this.transactions.run(async (tx) => {
      const user = await this.users.lockById(tx, params.userId);
      // The password checked above must still be the password.
      if (!user || user.passwordHash !== current.passwordHash) throw new DomainError('invalid_credentials', 'The password is incorrect.');
      await this.assertUnderLimit(tx, user.id, 'email_change');
      await this.issue(tx, user, { kind: 'email_change', email: address, sessionId: params.sessionId });
      await this.audit.record(
        { type: 'email_change_requested', userId: user.id, actorId: user.id, sessionId: params.sessionId, ...params.context, details: { to: address } },
        tx,
      );
    });
    this.outbox.nudge();
  }

  /** POST /auth/email/verify: either kind of token; the same error for anything not live. */
  async verify(token: string, context: RequestContext): Promise<void> {
    const live = await this.tokens.findLive(hashAccountToken(token), ['email_verification', 'email_change']);
    if (!live) throw new DomainError('invalid_verification_token');
    // Commit, then announce: an email change revokes the other sessions everywhere after commit.
    await this.revocations.transaction(async (tx, revoke) => {
      // User row first, then the token: the order every other writer of both takes.
      const user = await this.users.lockById(tx, live.userId);
      if (!user || !(await this.tokens.consume(tx, live.id))) throw new DomainError('invalid_verification_token');
      if (live.kind === 'email_change') return this.changeEmail(tx, revoke, user, live, context);
      // The address changed since this link was mailed: it proves nothing about the current one.
      if (live.email !== user.email) throw new DomainError('invalid_verification_token');
      await this.users.markEmailVerified(tx, user.id);
      await this.audit.record({ type: 'email_verified', userId: user.id, actorId: user.id, ...context, details: { email: user.email } }, tx);
    });
    this.outbox.nudge();
  }

  private async changeEmail(tx: Tx, revoke: Revoker, user: User, token: LiveAccountToken, context: RequestContext): Promise<void> {
    // The unique index decides a race for the address (another change or a registration): 409.
    await this.users.changeEmail(tx, user.id, token.email);
    // Links mailed to the old address (resets, verifications, other changes) stop working.
    await this.tokens.invalidateForUser(tx, user.id, ['password_reset', 'email_verification', 'email_change'], 'email_changed');
    const sessionsRevoked = await this.sessions.revokeAllForUserIn(tx, revoke, {
      userId: user.id,
      reason: 'email_change',
      exceptSessionId: token.sessionId ?? undefined,
      spareOnlyIfLive: true,
    });
    await this.outbox.enqueueIn(tx, {
      kind: 'email_changed_notice',
      to: user.email,
      userId: user.id,
      content: emailChangedNotice({ name: user.name, newEmail: token.email }),
    });
    await this.audit.record(
      {
        type: 'email_changed',
        userId: user.id,
        actorId: user.id,
        ...context,
        details: { reason: 'email_change', from: user.email, to: token.email, sessionsRevoked },
      },
      tx,
    );
  }

  private async issue(tx: Tx, user: User, target: { kind: 'email_verification' | 'email_change'; email: string; sessionId?: string }): Promise<void> {
    const token = generateAccountToken();
    const ttlSeconds = this.config.get('EMAIL_VERIFICATION_TTL_SECONDS');
    await this.tokens.issue(tx, { id: uuidv7(), userId: user.id, tokenHash: hashAccountToken(token), ttlSeconds, ...target });
    const link = `${this.config.publicAppUrl}/verify-email?token=${token}`;
    const change = target.kind === 'email_change';
    await this.outbox.enqueueIn(tx, {
      kind: change ? 'email_change_verification' : 'email_verification',
      to: target.email,
      userId: user.id,
      content: emailVerificationMail({ name: user.name, link, ttlSeconds, change }),
    });
  }

  /** At most EMAIL_VERIFICATION_MAILS_PER_HOUR links of a kind per user (the caller holds the user lock). */
  private async assertUnderLimit(tx: Tx, userId: string, kind: 'email_verification' | 'email_change'): Promise<void> {
    const issued = await this.tokens.countIssuedSince(tx, userId, kind, WINDOW_SECONDS);
    if (issued >= this.config.get('EMAIL_VERIFICATION_MAILS_PER_HOUR')) {
      throw new DomainError('rate_limited', 'Too many verification mails for this account; retry later.', { headers: { 'retry-after': '600' } });
    }
  }
}
