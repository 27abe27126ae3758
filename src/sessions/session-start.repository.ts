import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.service.js';
import type { AuditEventType } from '../audit/audit-event-types.js';
import type { Role, UserStatus } from '../generated/prisma/client.js';
import type { UserSummary } from './sessions.service.js';

// The audit row a login writes with its session (typed: the one list of event types).
const LOGIN_SUCCEEDED: AuditEventType = 'login_succeeded';

export interface SessionStartParams {
  userId: string;
  /** The hash the password was checked against: the login stands only while it is the user's. */
  passwordHash: string;
  sessionId: string;
  refreshTokenId: string;
  refreshTokenHash: string;
  /** The key that will sign the access token: linked to the session, and must not be revoked. */
  kid: string;
  refreshTtlSeconds: number;
  ip?: string;
  userAgent?: string;
}

export type SessionStart =
  /** No user any more, or its password changed since it was checked. Nothing was written. */
  | { outcome: 'invalid_credentials' }
  /** Suspended meanwhile. Nothing was written. */
  | { outcome: 'account_suspended' }
  /** The signing key was revoked since we loaded it. Nothing was written. */
  | { outcome: 'key_revoked' }
  | { outcome: 'started'; createdAt: Date; expiresAt: Date; user: UserSummary };

interface StartRow {
  id: string;
  email: string;
  email_verified_at: Date | null;
  name: string | null;
  role: Role;
  status: UserStatus;
  created_at: Date;
  same_password: boolean;
  session_created_at: Date | null;
  expires_at: Date | null;
}

/**
 * A login's session as one statement (issue 10), on the driver pool like refresh rotation:
 * one round trip and, being one statement, one transaction, instead of a Prisma interactive
 * transaction of nine. Every step is conditional on the ones before, so the statement does all
 * of its work or none of it. It keeps every rule of the transaction it replaces:
 *
 * - The user row is held FOR SHARE (a user-wide revocation takes it FOR UPDATE) and re-checked
 *   as it is now (PostgreSQL re-reads a locked row's newest version): the password hash must be
 *   the one the password was checked against, and the user not suspended.
 * - Then the signing key row is held FOR SHARE and must not be revoked (a key revocation takes
 *   it FOR UPDATE before it revokes the key's sessions, so a session linked under this lock is
 *   one that sweep sees).
 * - Only then is the database's clock read, for created_at (auth_time) and the refresh expiry:
 *   one clock for every instance, read under both locks.
 * - The session, its first refresh token, the key link and the login_succeeded audit row.
 * - Before the statement ends, and so before it commits and lets a waiting revocation read the
 *   clock, the database clock has left created_at's millisecond (what clockPast() does for a
 *   transaction): pg_sleep waits until the clock reaches the next millisecond (it loops until
 *   then, whatever the latch does), so a cut-off read after this commit is a later millisecond
 *   than this auth_time. Ten microseconds over the boundary, so float rounding of the deadline
 *   cannot leave the clock a hair short of it.
 */
@Injectable()
export class SessionStartRepository {
  constructor(private readonly sql: Sql) {}

  async start(params: SessionStartParams): Promise<SessionStart> {
    const ip = params.ip ?? null;
    const userAgent = params.userAgent ?? null;
    const rows = await this.sql.rows<StartRow>`
      WITH locked AS MATERIALIZED (
        SELECT id, email, email_verified_at, name, role, status, created_at, password_hash = ${params.passwordHash} AS same_password
        FROM users WHERE id = ${params.userId}::uuid
        FOR SHARE
      ), admitted AS MATERIALIZED (
        SELECT id FROM locked WHERE same_password AND status <> 'suspended'
      ), signing_key AS MATERIALIZED (
        SELECT k.kid FROM signing_keys k, admitted
        WHERE k.kid = ${params.kid} AND k.status <> 'revoked'
        FOR SHARE OF k
      ), clock AS MATERIALIZED (
        SELECT date_trunc('milliseconds', clock_timestamp()) AS now FROM signing_key
      ), session AS (
        INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, ip)
        SELECT ${params.sessionId}::uuid, admitted.id, clock.now, clock.now,
               clock.now + make_interval(secs => ${params.refreshTtlSeconds}::int), ${userAgent}, ${ip}
        FROM admitted, clock
        RETURNING id, user_id, created_at, expires_at
      ), first_token AS (
        INSERT INTO refresh_tokens (id, session_id, token_hash)
        SELECT ${params.refreshTokenId}::uuid, id, ${params.refreshTokenHash} FROM session
      ), linked AS (
        INSERT INTO session_signing_keys (session_id, kid)
        SELECT id, ${params.kid} FROM session
      ), audited AS (
        INSERT INTO audit_events (type, user_id, session_id, ip, user_agent)
        SELECT ${LOGIN_SUCCEEDED}, user_id, id, ${ip}, ${userAgent} FROM session
      ), settled AS MATERIALIZED (
        SELECT pg_sleep(extract(epoch FROM created_at + interval '1010 microseconds' - clock_timestamp())::float8) FROM session
      )
      SELECT u.id, u.email, u.email_verified_at, u.name, u.role::text AS role, u.status::text AS status, u.created_at, u.same_password,
             s.created_at AS session_created_at, s.expires_at
      FROM locked u
      LEFT JOIN session s ON true
      LEFT JOIN settled ON true`;
    const row = rows[0];
    if (!row || !row.same_password) return { outcome: 'invalid_credentials' };
    if (row.status === 'suspended') return { outcome: 'account_suspended' };
    if (!row.session_created_at || !row.expires_at) return { outcome: 'key_revoked' };
    return {
      outcome: 'started',
      createdAt: row.session_created_at,
      expiresAt: row.expires_at,
      user: { id: row.id, email: row.email, emailVerifiedAt: row.email_verified_at, name: row.name, role: row.role, status: row.status, createdAt: row.created_at },
    };
  }
}
