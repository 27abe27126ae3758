import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { AuditService } from '../audit/audit.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RevocationService } from '../tokens/revocation/revocation.service.js';
import { SigningKeysService, type LoadedKey } from '../tokens/signing-keys.service.js';
import type { AdminAction } from '../users/user-administration.service.js';
import type { KeyList, KeyView } from './admin.responses.js';

/** Signing-key rotation and revocation ("change the secret key", DESIGN.md). */
@Injectable()
export class KeyAdministration {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
  ) {}

  /**
   * GET /admin/keys. The next key is named apart (`next`), not as a fourth status in `keys`:
   * API.md fixes those statuses, and a client switching on them must not meet a new one.
   */
  async list(): Promise<KeyList> {
    await this.keys.reload();
    const keys = this.keys.list().sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const next = keys.find((key) => key.status === 'next');
    return {
      keys: keys
        .filter((key): key is LoadedKey & { status: KeyView['status'] } => key.status !== 'next')
        .map((key) => ({
          kid: key.kid,
          alg: 'ES256' as const,
          status: key.status,
          createdAt: key.createdAt.toISOString(),
          retiredAt: key.retiredAt?.toISOString() ?? null,
          revokedAt: key.revokedAt?.toISOString() ?? null,
        })),
      next: next ? { kid: next.kid, alg: 'ES256', createdAt: next.createdAt.toISOString() } : null,
    };
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
    await this.revocations.transaction(async (tx, revoke) => {
      const outcome = await this.keys.revokeIn(tx, revoke, kid);
      if (outcome === undefined) throw new DomainError('not_found', 'Signing key not found.');
      // Sessions first: a logout holds its session row while it waits for the revocation write
      // lock, so taking that lock (by recording) before the session rows would deadlock with it.
      const sessionsRevoked = revokeSessions ? await this.sessions.revokeAllForKeyIn(tx, revoke, kid) : 0;
      if (outcome !== false) await revoke.record({ kid, reason: 'key_revoked' });
      await this.audit.record(
        {
          type: 'key_revoked',
          actorId: action.actorId,
          ...action.context,
          details: { kid, revokeSessions, sessionsRevoked, replacedBy: outcome ? outcome.replacedBy : undefined },
        },
        tx,
      );
    });
    // Announced already (the kid is rejected here and everywhere); this waits for the re-read
    // that takes the revoked key out of signing and the JWKS before answering.
    await this.keys.reload();
  }
}
