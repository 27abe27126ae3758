import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { Transactions } from '../database/transactions.service.js';
import { AuditService } from '../audit/audit.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import type { Revocation } from '../tokens/revocation/revocation.types.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import type { AdminAction } from '../users/user-administration.service.js';

export interface KeyView {
  kid: string;
  alg: 'ES256';
  status: 'active' | 'retiring' | 'revoked';
  createdAt: string;
  retiredAt: string | null;
  revokedAt: string | null;
}

/** Signing-key rotation and revocation ("change the secret key", DESIGN.md). */
@Injectable()
export class KeyAdministration {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<KeyView[]> {
    await this.keys.reload();
    return this.keys
      .list()
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((key) => ({
        kid: key.kid,
        alg: 'ES256' as const,
        status: key.status,
        createdAt: key.createdAt.toISOString(),
        retiredAt: key.retiredAt?.toISOString() ?? null,
        revokedAt: key.revokedAt?.toISOString() ?? null,
      }));
  }

  async rotate(action: AdminAction): Promise<{ kid: string }> {
    const key = await this.keys.rotate();
    this.audit.recordDetached({ type: 'key_rotated', actorId: action.actorId, ...action.context, details: { kid: key.kid } });
    return { kid: key.kid };
  }

  /**
   * Every token signed by `kid` dies at once on every instance; with revokeSessions the
   * sessions that ever received one are revoked too (everyone logs in again).
   */
  async revoke(kid: string, revokeSessions: boolean, action: AdminAction): Promise<void> {
    const revocations = await this.transactions.run(async (tx) => {
      const outcome = await this.keys.revokeIn(tx, kid);
      if (outcome === undefined) throw new DomainError('not_found', 'Signing key not found.');
      const recorded: Revocation[] = [];
      let sessionsRevoked = 0;
      // Sessions first: a logout holds its session row while it waits for the revocation write
      // lock, so taking that lock (by recording) before the session rows would deadlock with it.
      if (revokeSessions) {
        const result = await this.sessions.revokeAllForKeyIn(tx, kid);
        recorded.push(...result.revocations);
        sessionsRevoked = result.count;
      }
      if (outcome !== false) recorded.push(await this.revocations.record(tx, { kid, reason: 'key_revoked' }));
      await this.audit.record(
        {
          type: 'key_revoked',
          actorId: action.actorId,
          ...action.context,
          details: { kid, revokeSessions, sessionsRevoked, replacedBy: outcome ? outcome.replacedBy : undefined },
        },
        tx,
      );
      return recorded;
    });
    await this.keys.reload();
    this.revocations.announce(revocations);
    this.revocations.announceKeysChanged();
  }
}
