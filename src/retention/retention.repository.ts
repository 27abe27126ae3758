import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';

/** Held (per transaction) by whichever instance is pruning: the others skip their turn. */
const RETENTION_LOCK = 0x67617472; // "gatr"

/**
 * Bounded deletes for retention. Each batch is one short transaction that first takes the
 * retention advisory lock (try, never wait), so two instances never prune at the same time,
 * and no batch holds row locks for long. Ages are measured on the database's clock.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Runs `work` holding the retention lock; undefined when another instance holds it. */
  async locked(work: (tx: Tx) => Promise<number>): Promise<number | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Array<{ acquired: boolean }>>`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS acquired`;
      if (!row?.acquired) return undefined;
      return work(tx);
    });
  }

  /** Refresh tokens rotated (used) more than `ageSeconds` ago: only reuse detection needs them. */
  deleteRotatedTokens(tx: Tx, ageSeconds: number, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM refresh_tokens WHERE id IN (
        SELECT id FROM refresh_tokens WHERE used_at < clock_timestamp() - make_interval(secs => ${ageSeconds}) LIMIT ${limit})`;
  }

  /** Sessions revoked, or expired, more than `ageSeconds` ago (their tokens and key links go with them). */
  deleteEndedSessions(tx: Tx, ageSeconds: number, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM sessions WHERE id IN (
        SELECT id FROM sessions
        WHERE revoked_at < clock_timestamp() - make_interval(secs => ${ageSeconds})
           OR (revoked_at IS NULL AND expires_at < clock_timestamp() - make_interval(secs => ${ageSeconds}))
        LIMIT ${limit})`;
  }

  /**
   * Which key signed tokens for which session matters only while the session can still be
   * revoked by a key revocation, i.e. while it is live; an ended session's links go at once.
   */
  deleteEndedSessionKeyLinks(tx: Tx, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM session_signing_keys WHERE (session_id, kid) IN (
        SELECT l.session_id, l.kid FROM session_signing_keys l JOIN sessions s ON s.id = l.session_id
        WHERE s.revoked_at IS NOT NULL OR s.expires_at < clock_timestamp()
        LIMIT ${limit})`;
  }

  /** Audit events older than the retention, oldest first (ids grow with time). */
  deleteAuditEvents(tx: Tx, ageSeconds: number, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM audit_events WHERE id IN (
        SELECT id FROM audit_events WHERE created_at < clock_timestamp() - make_interval(secs => ${ageSeconds})
        ORDER BY id LIMIT ${limit})`;
  }

  /**
   * Revocation events no token can still be affected by. The newest row always stays: it
   * carries the id sequence's high-water mark that cursors and Last-Event-ID are checked against.
   */
  deleteRevocationEvents(tx: Tx, ageSeconds: number, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM revocation_events WHERE id IN (
        SELECT id FROM revocation_events
        WHERE created_at < clock_timestamp() - make_interval(secs => ${ageSeconds})
          AND id < (SELECT max(id) FROM revocation_events)
        ORDER BY id LIMIT ${limit})`;
  }

  /** Lockout records that have decayed (no lock in force, nothing counted any more). */
  deleteDecayedLockouts(tx: Tx, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM login_lockouts WHERE key IN (
        SELECT key FROM login_lockouts WHERE expires_at < clock_timestamp() LIMIT ${limit})`;
  }

  /** Anomaly counters whose window has ended (the next hit would start afresh anyway). */
  deleteEndedAnomalyCounters(tx: Tx, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM anomaly_counters WHERE key IN (
        SELECT key FROM anomaly_counters WHERE window_ends_at < clock_timestamp() LIMIT ${limit})`;
  }

  /**
   * Networks a user has not logged in from for longer than new_network's history. Each user's
   * most recent network stays, however old: it is what tells a returning user's next login
   * from a first one (new_network is never raised for a first login).
   */
  deleteStaleUserNetworks(tx: Tx, ageSeconds: number, limit: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM user_networks WHERE (user_id, network) IN (
        SELECT n.user_id, n.network FROM user_networks n
        WHERE n.last_seen_at < clock_timestamp() - make_interval(secs => ${ageSeconds})
          AND EXISTS (SELECT 1 FROM user_networks newer WHERE newer.user_id = n.user_id AND newer.last_seen_at > n.last_seen_at)
        LIMIT ${limit})`;
  }
}
