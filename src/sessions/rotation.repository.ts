import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.service.js';
import type { Role, UserStatus } from '../generated/prisma/client.js';

/** What a rotation or a repeat needs to issue its access token and answer the client. */
export interface RotatedSession {
  sessionId: string;
  createdAt: Date;
  expiresAt: Date;
  /** The session's client IP before this statement replaced it (session_network_change). */
  previousIp: string | null;
  user: { id: string; email: string; emailVerifiedAt: Date | null; name: string | null; role: Role; status: UserStatus; createdAt: Date };
}

interface RotatedRow {
  session_id: string;
  session_created_at: Date;
  expires_at: Date;
  previous_ip: string | null;
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  status: UserStatus;
  user_created_at: Date;
  email_verified_at: Date | null;
}

export interface RotationParams {
  tokenHash: string;
  successorId: string;
  successorHash: string;
  /** The key that will sign the access token: linked to the session, and must not be revoked. */
  kid: string;
  now: Date;
  ip?: string;
  userAgent?: string;
}

/**
 * Refresh rotation as single statements (issue 10): each is one round trip and, being one
 * statement, one transaction. They go straight to the driver pool (Sql), not through Prisma:
 * on this hottest of write paths Prisma's per-query machinery cost more CPU than the rest. Every step is conditional on the ones before, so a statement
 * either does all of its work or none of it.
 *
 * Locks are taken in the order every other writer uses: signing key row (FOR SHARE; a key
 * revocation takes it FOR UPDATE before it revokes the key's sessions), then the refresh-token
 * row, then its session row (FOR UPDATE OF both, re-checked on their newest versions), so a
 * concurrent rotation, logout or key revocation is decided by the database, never by a read.
 */
@Injectable()
export class RotationRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Rotates the unused token with `tokenHash` of a live session of an active user: marks it
   * used, stores the successor, records the session's use and the signing key. Undefined when
   * nothing was rotated (already used, unknown, session ended, user suspended, key revoked):
   * the caller reads the token to tell which.
   */
  async rotate(params: RotationParams): Promise<RotatedSession | undefined> {
    const rows = await this.sql.rows<RotatedRow>`
      WITH signing_key AS (
        SELECT kid FROM signing_keys WHERE kid = ${params.kid} AND status <> 'revoked' FOR SHARE
      ), live AS (
        SELECT rt.id AS token_id, s.id AS session_id, s.user_id, s.created_at, s.expires_at, s.ip AS previous_ip
        FROM refresh_tokens rt
        JOIN sessions s ON s.id = rt.session_id
        JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = ${params.tokenHash} AND rt.used_at IS NULL
          AND s.revoked_at IS NULL AND s.expires_at > ${params.now} AND u.status = 'active'
          AND EXISTS (SELECT 1 FROM signing_key)
        FOR UPDATE OF rt, s
      ), used AS (
        UPDATE refresh_tokens rt SET used_at = ${params.now}, successor_id = ${params.successorId}::uuid
        FROM live WHERE rt.id = live.token_id
        RETURNING live.session_id
      ), touched AS (
        UPDATE sessions s SET last_used_at = ${params.now}, ip = ${params.ip ?? null}, user_agent = ${params.userAgent ?? null}
        FROM used WHERE s.id = used.session_id
        RETURNING s.id
      ), successor AS (
        INSERT INTO refresh_tokens (id, session_id, token_hash)
        SELECT ${params.successorId}::uuid, id, ${params.successorHash} FROM touched
      ), linked AS (
        INSERT INTO session_signing_keys (session_id, kid)
        SELECT id, ${params.kid} FROM touched
        ON CONFLICT DO NOTHING
      )
      SELECT live.session_id, live.created_at AS session_created_at, live.expires_at, live.previous_ip,
             u.id AS user_id, u.email, u.email_verified_at, u.name, u.role::text AS role, u.status::text AS status, u.created_at AS user_created_at
      FROM touched JOIN live ON live.session_id = touched.id JOIN users u ON u.id = live.user_id`;
    return rows[0] && toRotatedSession(rows[0]);
  }

  /**
   * A benign repeat within the grace window (issue 8 #13): records the session's use and the
   * signing key. Undefined when the session is no longer live or the key
   * was revoked meanwhile.
   */
  async recordRepeat(params: {
    sessionId: string;
    kid: string;
    now: Date;
    ip?: string;
    userAgent?: string;
  }): Promise<RotatedSession | undefined> {
    const rows = await this.sql.rows<RotatedRow>`
      WITH signing_key AS (
        SELECT kid FROM signing_keys WHERE kid = ${params.kid} AND status <> 'revoked' FOR SHARE
      ), before AS (
        SELECT ip AS previous_ip FROM sessions WHERE id = ${params.sessionId}::uuid
      ), touched AS (
        UPDATE sessions s SET last_used_at = ${params.now}, ip = ${params.ip ?? null}, user_agent = ${params.userAgent ?? null}
        FROM users u
        WHERE s.id = ${params.sessionId}::uuid AND u.id = s.user_id
          AND s.revoked_at IS NULL AND s.expires_at > ${params.now} AND u.status = 'active'
          AND EXISTS (SELECT 1 FROM signing_key)
        RETURNING s.id, s.user_id, s.created_at, s.expires_at
      ), linked AS (
        INSERT INTO session_signing_keys (session_id, kid)
        SELECT id, ${params.kid} FROM touched
        ON CONFLICT DO NOTHING
      )
      SELECT touched.id AS session_id, touched.created_at AS session_created_at, touched.expires_at,
             (SELECT previous_ip FROM before) AS previous_ip,
             u.id AS user_id, u.email, u.email_verified_at, u.name, u.role::text AS role, u.status::text AS status, u.created_at AS user_created_at
      FROM touched JOIN users u ON u.id = touched.user_id`;
    return rows[0] && toRotatedSession(rows[0]);
  }
}

function toRotatedSession(row: RotatedRow): RotatedSession {
  return {
    sessionId: row.session_id,
    createdAt: row.session_created_at,
    expiresAt: row.expires_at,
    previousIp: row.previous_ip,
    user: { id: row.user_id, email: row.email, emailVerifiedAt: row.email_verified_at, name: row.name, role: row.role, status: row.status, createdAt: row.user_created_at },
  };
}
