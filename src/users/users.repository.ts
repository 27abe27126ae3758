import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import { Sql } from '../database/sql.service.js';
import { DomainError } from '../common/domain-error.js';
import { Prisma, type Role, type User, type UserStatus } from '../generated/prisma/client.js';

export interface NewUser {
  id: string;
  email: string;
  passwordHash: string;
  name?: string | null;
  role: 'user' | 'admin';
  emailVerifiedAt?: Date | null;
}

export interface UserPageQuery {
  limit: number;
  /** Return users with an id after this one (UUIDv7 ids: id order is creation order). */
  after?: string;
  emailContains?: string;
}

export const ADMIN_CHANGES_LOCK = 0x61646d6e; // "admn"

@Injectable()
export class UsersRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
  ) {}

  createIn(tx: Tx, user: NewUser): Promise<User> {
    return tx.user.create({ data: user });
  }

  /** Every login's first read: on the driver pool, not through Prisma (issue 10). */
  async findByEmail(email: string): Promise<User | null> {
    const rows = await this.sql.rows<UserRow>`
      SELECT id, email, password_hash, name, role::text AS role, status::text AS status, suspended_reason,
             email_verified_at, created_at, updated_at
      FROM users WHERE email = ${email}`;
    return rows[0] ? toUser(rows[0]) : null;
  }

  findByEmailIn(tx: Tx, email: string): Promise<User | null> {
    return tx.user.findUnique({ where: { email } });
  }

  /** GET /users/me's read, among others: on the driver pool like findByEmail (issue 10). */
  async findById(id: string): Promise<User | null> {
    const rows = await this.sql.rows<UserRow>`
      SELECT id, email, password_hash, name, role::text AS role, status::text AS status, suspended_reason,
             email_verified_at, created_at, updated_at
      FROM users WHERE id = ${id}::uuid`;
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** Row-locks the user for the rest of the transaction (serialises admin changes to one user). */
  async lockById(tx: Tx, id: string): Promise<User | null> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM users WHERE id = ${id}::uuid FOR UPDATE`;
    return rows.length === 0 ? null : tx.user.findUnique({ where: { id } });
  }

  /**
   * Serialises every change that could remove the last active admin (and bootstrap), so
   * "count admins, then demote" cannot interleave between two requests.
   */
  async lockAdminChanges(tx: Tx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_CHANGES_LOCK})`;
  }

  async countActiveAdmins(tx: Tx = this.prisma): Promise<number> {
    return tx.user.count({ where: { role: 'admin', status: 'active' } });
  }

  async updatePassword(tx: Tx, id: string, passwordHash: string): Promise<void> {
    await tx.user.update({ where: { id }, data: { passwordHash } });
  }

  /** Marks the current address verified (no-op when it already is). */
  async markEmailVerified(tx: Tx, id: string): Promise<void> {
    await tx.user.updateMany({ where: { id, emailVerifiedAt: null }, data: { emailVerifiedAt: new Date() } });
  }

  /** A verified email change. The unique index decides a race for the address: email_taken. */
  async changeEmail(tx: Tx, id: string, email: string): Promise<void> {
    try {
      await tx.user.update({ where: { id }, data: { email, emailVerifiedAt: new Date() } });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw new DomainError('email_taken', undefined, { cause: error });
      throw error;
    }
  }

  setRole(tx: Tx, id: string, role: 'user' | 'admin'): Promise<User> {
    return tx.user.update({ where: { id }, data: { role } });
  }

  setStatus(tx: Tx, id: string, status: 'active' | 'suspended', suspendedReason: string | null): Promise<User> {
    return tx.user.update({ where: { id }, data: { status, suspendedReason } });
  }

  async delete(tx: Tx, id: string): Promise<boolean> {
    const { count } = await tx.user.deleteMany({ where: { id } });
    return count === 1;
  }

  findPage(query: UserPageQuery): Promise<User[]> {
    return this.prisma.user.findMany({
      where: {
        id: query.after ? { gt: query.after } : undefined,
        // A literal substring: LIKE's own wildcards in the filter are escaped.
        email: query.emailContains ? { contains: query.emailContains.replace(/[\\%_]/g, '\\$&') } : undefined,
      },
      orderBy: { id: 'asc' },
      take: query.limit,
    });
  }
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  name: string | null;
  role: Role;
  status: UserStatus;
  suspended_reason: string | null;
  email_verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    name: row.name,
    role: row.role,
    status: row.status,
    suspendedReason: row.suspended_reason,
    emailVerifiedAt: row.email_verified_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
