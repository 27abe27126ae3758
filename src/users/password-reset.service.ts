import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainError } from '../common/domain-error.js';
import { normalizeEmail } from '../common/email.js';
import { PollingLoop } from '../common/polling-loop.js';
import type { RequestContext } from '../common/request-context.js';
import { uuidv7 } from '../common/uuid.js';
import { AppConfig } from '../config/app-config.js';
import type { Tx } from '../database/prisma.service.js';
import { Transactions } from '../database/transactions.service.js';
import { MailOutbox } from '../mail/mail-outbox.service.js';
import { passwordResetMail } from '../mail/mail-templates.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import { AccountTokensRepository, generateAccountToken, hashAccountToken } from './account-tokens.repository.js';
import { AccountLockoutService } from './account-lockout.service.js';
import { PasswordHasher } from './password-hasher.service.js';
import { PasswordResetRequestsRepository, type PendingResetRequest } from './password-reset-requests.repository.js';
import { UsersRepository } from './users.repository.js';

const WINDOW_SECONDS = 3600;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Forgot / reset password (API.md "Account recovery").
 *
 * No enumeration by construction: the forgot endpoint never reads the users table. It records
 * the request (per-address limit, same statements for every address) and answers 202; a worker
 * on any instance then claims the request (FOR UPDATE SKIP LOCKED), and only there is the address
 * looked up and, if it belongs to an active account, a token and its mail written in one
 * transaction.
 */
@Injectable()
export class PasswordReset implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PasswordReset');
  private readonly loop: PollingLoop;
  private lastPrune = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly tokens: AccountTokensRepository,
    private readonly requests: PasswordResetRequestsRepository,
    private readonly passwords: PasswordHasher,
    private readonly transactions: Transactions,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly outbox: MailOutbox,
    private readonly lockout: AccountLockoutService,
    private readonly audit: AuditService,
  ) {
    this.loop = new PollingLoop(config.get('MAIL_POLL_INTERVAL_MS'), () => this.processRequests(), (error) =>
      this.logger.warn(`processing reset requests failed: ${(error as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** POST /auth/password/forgot. Throws rate_limited past the per-address limit, for any address. */
  async request(email: string, context: RequestContext): Promise<void> {
    const address = normalizeEmail(email);
    const limit = this.config.get('PASSWORD_RESET_REQUESTS_PER_HOUR');
    const retryAfter = await this.transactions.run(async (tx) => {
      await this.requests.lockAddress(tx, address);
      const recent = await this.requests.recent(tx, address, WINDOW_SECONDS, limit);
      if (recent.count >= limit) {
        return Math.max(1, Math.ceil((recent.oldest!.getTime() + WINDOW_SECONDS * 1000 - recent.now.getTime()) / 1000));
      }
      await this.requests.record(tx, { email: address, ip: context.ip, userAgent: context.userAgent });
      return undefined;
    });
    if (retryAfter !== undefined) {
      throw new DomainError('rate_limited', 'Too many reset requests for this address; retry later.', {
        headers: { 'retry-after': String(retryAfter) },
      });
    }
    this.loop.nudge();
  }

  /**
   * POST /auth/password/reset: sets the password, ends every session (live access tokens die at
   * once, on every instance), uses the token up and invalidates any other; one transaction.
   */
  async reset(params: { token: string; newPassword: string; context: RequestContext }): Promise<void> {
    // Looked up first, so a wrong token costs no bcrypt hash; consumed under the user lock below.
    const live = await this.tokens.findLive(hashAccountToken(params.token), ['password_reset']);
    if (!live) throw new DomainError('invalid_reset_token');
    const passwordHash = await this.passwords.hash(params.newPassword, `user:${live.userId}`);
    // Commit, then announce: the revocation reaches every instance once the password is set.
    await this.revocations.transaction(async (tx, revoke) => {
      // User row first, then the token: the order every other writer of both takes.
      const user = await this.users.lockById(tx, live.userId);
      if (!user || !(await this.tokens.consume(tx, live.id))) throw new DomainError('invalid_reset_token');
      await this.users.updatePassword(tx, user.id, passwordHash);
      // The link reached this mailbox, which proves the address.
      if (live.email === user.email) await this.users.markEmailVerified(tx, user.id);
      await this.tokens.invalidateForUser(tx, user.id, ['password_reset'], 'password_reset');
      const sessionsRevoked = await this.sessions.revokeAllForUserIn(tx, revoke, { userId: user.id, reason: 'password_reset' });
      await this.audit.record(
        {
          type: 'password_reset',
          userId: user.id,
          actorId: user.id,
          ...params.context,
          details: { reason: 'password_reset', sessionsRevoked },
        },
        tx,
      );
    });
    // The mailbox proved control of the account: a lockout from guessed passwords ends here.
    await this.lockout.clear(live.userId, params.context);
  }

  /** The worker: one request per transaction, so one bad row cannot hold back the others. */
  private async processRequests(): Promise<void> {
    let mailed = false;
    while (!this.loop.isStopping) {
      const outcome = await this.transactions.run(async (tx) => {
        const request = await this.requests.claimNext(tx);
        if (!request) return undefined;
        const result = await this.handle(tx, request);
        await this.requests.markProcessed(tx, request.id, result);
        return result;
      });
      if (outcome === undefined) break;
      if (outcome === 'mailed') mailed = true;
    }
    if (mailed) this.outbox.nudge();
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.requests.pruneProcessed();
    }
  }

  private async handle(tx: Tx, request: PendingResetRequest): Promise<'mailed' | 'unknown_address' | 'suspended'> {
    const found = await this.users.findByEmailIn(tx, request.email);
    if (!found) return 'unknown_address';
    const user = await this.users.lockById(tx, found.id);
    if (!user || user.email !== request.email) return 'unknown_address';
    if (user.status !== 'active') return 'suspended';
    const token = generateAccountToken();
    const ttlSeconds = this.config.get('PASSWORD_RESET_TTL_SECONDS');
    await this.tokens.issue(tx, { id: uuidv7(), userId: user.id, kind: 'password_reset', tokenHash: hashAccountToken(token), email: user.email, ttlSeconds });
    const link = `${this.config.publicAppUrl}/reset-password?token=${token}`;
    await this.outbox.enqueueIn(tx, { kind: 'password_reset', to: user.email, userId: user.id, content: passwordResetMail({ name: user.name, link, ttlSeconds }) });
    await this.audit.record(
      { type: 'password_reset_requested', userId: user.id, ip: request.ip, userAgent: request.userAgent, details: { requestId: request.id.toString() } },
      tx,
    );
    return 'mailed';
  }
}
