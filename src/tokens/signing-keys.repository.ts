import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../database/prisma.service.js';
import type { SigningKey } from '../generated/prisma/client.js';

/** Serialises "make sure one key is active" across instances booting or rotating together. */
const SIGNING_KEY_LOCK = 0x6b657973; // "keys"

export interface NewSigningKey {
  kid: string;
  publicJwk: Record<string, string>;
  privateKeyEncrypted: string;
}

@Injectable()
export class SigningKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  findAll(): Promise<SigningKey[]> {
    return this.prisma.signingKey.findMany({ orderBy: { createdAt: 'asc' } });
  }

  /**
   * A fingerprint of the key set (which kids exist, in which status): one tiny aggregate
   * instead of reading and decrypting every key to learn that nothing changed. Exact, whatever
   * the instances' clocks (a max(timestamp) probe would miss a change stamped by a clock behind).
   */
  async version(): Promise<string> {
    const [row] = await this.prisma.$queryRaw<Array<{ version: string | null }>>`
      SELECT md5(string_agg(kid || ':' || status::text, ',' ORDER BY kid)) AS version FROM signing_keys`;
    return row?.version ?? '';
  }

  async lock(tx: Tx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`;
  }

  findActive(tx: Tx): Promise<SigningKey | null> {
    return tx.signingKey.findFirst({ where: { status: 'active' }, orderBy: { createdAt: 'desc' } });
  }

  /**
   * Reads the key with its row locked FOR UPDATE until commit: every login, refresh or repeat
   * that signs with it holds the row FOR SHARE while it links the key to its session, so once
   * this returns, no such write is in flight and none can start until the revocation commits.
   */
  async findByKidForUpdate(tx: Tx, kid: string): Promise<SigningKey | null> {
    const locked = await tx.$queryRaw<Array<{ kid: string }>>`SELECT kid FROM signing_keys WHERE kid = ${kid} FOR UPDATE`;
    return locked.length === 0 ? null : tx.signingKey.findUnique({ where: { kid } });
  }

  /** The key published in the JWKS to sign after the next rotation (at most one, under the key lock). */
  findNext(tx: Tx): Promise<SigningKey | null> {
    return tx.signingKey.findFirst({ where: { status: 'next' }, orderBy: { createdAt: 'desc' } });
  }

  create(tx: Tx, key: NewSigningKey, status: 'active' | 'next'): Promise<SigningKey> {
    return tx.signingKey.create({ data: { ...key, status } });
  }

  /** The published next key starts signing (the caller retires the previous active key). */
  async activate(tx: Tx, kid: string): Promise<void> {
    await tx.signingKey.updateMany({ where: { kid, status: 'next' }, data: { status: 'active' } });
  }

  /** Every active key but `exceptKid` becomes retiring (one active key at a time). */
  async retireActive(tx: Tx, exceptKid: string, now: Date): Promise<void> {
    await tx.signingKey.updateMany({
      where: { status: 'active', kid: { not: exceptKid } },
      data: { status: 'retiring', retiredAt: now },
    });
  }

  async markRevoked(tx: Tx, kid: string, now: Date): Promise<boolean> {
    const { count } = await tx.signingKey.updateMany({
      where: { kid, status: { not: 'revoked' } },
      data: { status: 'revoked', revokedAt: now },
    });
    return count === 1;
  }

  async updateEncrypted(kid: string, privateKeyEncrypted: string): Promise<void> {
    await this.prisma.signingKey.update({ where: { kid }, data: { privateKeyEncrypted } });
  }
}
