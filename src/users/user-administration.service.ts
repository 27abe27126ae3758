import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { Transactions } from '../database/transactions.service.js';
import type { Tx } from '../database/prisma.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuditEventType } from '../audit/audit-event-types.js';
import type { RequestContext } from '../common/request-context.js';
import type { SessionView } from '../sessions/session.response.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import type { RevocationReason } from '../tokens/revocation/revocation.types.js';
import type { User } from '../generated/prisma/client.js';
import { toUserResponse, type UserResponse } from './user.response.js';
import { UsersRepository } from './users.repository.js';

export interface AdminAction {
  actorId: string;
  context: RequestContext;
}

/**
 * What admins do to users. Every change that revokes commits together with the revocation of
 * the user's sessions (one transaction), then the revocation is announced to every instance.
 */
@Injectable()
export class UserAdministration {
  constructor(
    private readonly repository: UsersRepository,
    private readonly transactions: Transactions,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
  ) {}

  async list(query: { limit: number; cursor?: string; email?: string }): Promise<{ users: UserResponse[]; nextCursor: string | null }> {
    const rows = await this.repository.findPage({
      limit: query.limit + 1,
      after: query.cursor,
      emailContains: query.email?.trim().toLowerCase() || undefined,
    });
    const page = rows.slice(0, query.limit);
    return {
      users: page.map(toUserResponse),
      nextCursor: rows.length > query.limit ? page[page.length - 1].id : null,
    };
  }

  async detail(userId: string): Promise<{ user: UserResponse; sessions: SessionView[] }> {
    const user = await this.repository.findById(userId);
    if (!user) throw new DomainError('not_found', 'User not found.');
    return { user: toUserResponse(user), sessions: await this.sessions.listLive(userId) };
  }

  /** A new role takes effect through new logins: every session of the user is revoked. */
  changeRole(userId: string, role: 'user' | 'admin', action: AdminAction): Promise<UserResponse> {
    return this.changeAndRevoke(userId, action, 'role_changed', async (tx, user) => {
      if (user.role === role) return { user, changed: false };
      if (user.role === 'admin' && user.status === 'active') await this.assertNotLastAdmin(tx);
      return { user: await this.repository.setRole(tx, userId, role), changed: true, details: { from: user.role, to: role } };
    });
  }

  suspend(userId: string, reason: string | undefined, action: AdminAction): Promise<UserResponse> {
    return this.changeAndRevoke(userId, action, 'user_suspended', async (tx, user) => {
      if (user.role === 'admin' && user.status === 'active') await this.assertNotLastAdmin(tx);
      const updated = await this.repository.setStatus(tx, userId, 'suspended', reason ?? null);
      return { user: updated, changed: true, details: reason ? { note: reason } : {} };
    });
  }

  async unsuspend(userId: string, action: AdminAction): Promise<UserResponse> {
    const user = await this.transactions.run(async (tx) => {
      if (!(await this.repository.lockById(tx, userId))) throw new DomainError('not_found', 'User not found.');
      const updated = await this.repository.setStatus(tx, userId, 'active', null);
      await this.audit.record({ type: 'user_unsuspended', userId, actorId: action.actorId, ...action.context }, tx);
      return updated;
    });
    return toUserResponse(user);
  }

  async revokeSessions(userId: string, reason: string | undefined, action: AdminAction): Promise<void> {
    await this.changeAndRevoke(userId, action, 'sessions_revoked', async (_tx, user) => ({
      user,
      changed: true,
      details: reason ? { note: reason } : {},
    }));
  }

  private async changeAndRevoke(
    userId: string,
    action: AdminAction,
    kind: RevokingAdminAction,
    change: (tx: Tx, user: User) => Promise<{ user: User; changed: boolean; details?: Record<string, unknown> }>,
  ): Promise<UserResponse> {
    const user = await this.revocations.transaction(async (tx, revoke) => {
      await this.repository.lockAdminChanges(tx);
      const current = await this.repository.lockById(tx, userId);
      if (!current) throw new DomainError('not_found', 'User not found.');
      const result = await change(tx, current);
      if (!result.changed) return result.user;
      const sessionsRevoked = await this.sessions.revokeAllForUserIn(tx, revoke, { userId, reason: REVOCATION_REASONS[kind] });
      await this.audit.record(
        {
          type: kind,
          userId,
          actorId: action.actorId,
          ...action.context,
          details: { reason: REVOCATION_REASONS[kind], sessionsRevoked, ...result.details },
        },
        tx,
      );
      return result.user;
    });
    return toUserResponse(user);
  }

  private async assertNotLastAdmin(tx: Tx): Promise<void> {
    if ((await this.repository.countActiveAdmins(tx)) <= 1) throw new DomainError('last_admin');
  }
}

/** The admin actions that revoke every session of the user, by the audit event they write. */
type RevokingAdminAction = Extract<AuditEventType, 'role_changed' | 'user_suspended' | 'sessions_revoked'>;

const REVOCATION_REASONS: Record<RevokingAdminAction, RevocationReason> = {
  role_changed: 'role_change',
  user_suspended: 'suspension',
  sessions_revoked: 'admin',
};
