import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { SingleFlight } from '../common/single-flight.js';
import { Transactions } from '../database/transactions.service.js';
import type { Tx } from '../database/prisma.service.js';
import type { SigningKey } from '../generated/prisma/client.js';
import { KeyMaterial } from './key-material.js';
import { RevocationService, type Revoker } from './revocation/revocation.service.js';
import { SigningKeysRepository } from './signing-keys.repository.js';

/** `next`: published in the JWKS, signing nothing yet; the next rotation activates it. */
export type KeyStatus = 'next' | 'active' | 'retiring' | 'revoked';

export interface LoadedKey {
  kid: string;
  status: KeyStatus;
  publicKey: KeyObject;
  publicJwk: Record<string, string>;
  /** Decrypted only for the active key: the one that signs. */
  privateKey?: KeyObject;
  createdAt: Date;
  retiredAt: Date | null;
  revokedAt: Date | null;
}

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** Reload keys from the database at most this often when a token names an unknown kid. */
const UNKNOWN_KID_RELOAD_INTERVAL_MS = 1000;

/**
 * ES256 signing keys: generated on first boot, private halves encrypted at rest, public halves
 * held in memory for verification. A token's kid is looked up here, never taken from the token.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private readonly logger = new Logger('SigningKeys');
  private keys = new Map<string, LoadedKey>();
  private activeKid: string | undefined;
  private readonly reloads = new SingleFlight(() => this.load());
  private lastReloadAt = 0;
  /** The key table's version as of the last load (see SigningKeysRepository.version). */
  private loadedVersion: string | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: SigningKeysRepository,
    private readonly transactions: Transactions,
    private readonly keyMaterial: KeyMaterial,
    private readonly revocations: RevocationService,
  ) {
    revocations.keyHints$.subscribe((hint) => {
      const reloaded = hint === 'changed' ? this.reload() : this.reloadIfChanged();
      // Never an unhandled rejection: that would end the process over a database blip.
      reloaded.catch((error: unknown) => this.logger.warn(`signing key reload failed: ${(error as Error).message}`));
    });
  }

  async onModuleInit(): Promise<void> {
    // Only when no key is active (first boot): nothing to announce, instances booting later read it.
    await this.transactions.run(async (tx) => {
      await this.repository.lock(tx);
      if (!(await this.repository.findActive(tx))) {
        const key = await this.createKey(tx, 'active');
        this.logger.log(`generated signing key ${key.kid}`);
      }
      // Also on the first boot after upgrading to published-before-use keys.
      if (!(await this.repository.findNext(tx))) await this.createKey(tx, 'next');
    });
    await this.reload();
  }

  /** The key that signs new tokens. */
  get active(): LoadedKey {
    const key = this.activeKid ? this.keys.get(this.activeKid) : undefined;
    if (!key?.privateKey) throw new Error('no active signing key loaded');
    return key;
  }

  get(kid: string): LoadedKey | undefined {
    return this.keys.get(kid);
  }

  list(): LoadedKey[] {
    return [...this.keys.values()];
  }

  /**
   * Keys whose tokens may be alive, or soon will be: the next key (published before it signs,
   * so verifiers that cache the JWKS know it before they meet it), the active one, and retiring
   * ones within TTL + leeway.
   */
  jwks(now = Date.now()): PublicJwk[] {
    return this.list()
      .filter((key) => key.status === 'next' || key.status === 'active' || (key.status === 'retiring' && this.retiringStillNeeded(key, now)))
      .map((key) => ({
        kty: key.publicJwk.kty,
        crv: key.publicJwk.crv,
        x: key.publicJwk.x,
        y: key.publicJwk.y,
        kid: key.kid,
        alg: 'ES256' as const,
        use: 'sig' as const,
      }));
  }

  retiringStillNeeded(key: LoadedKey, now = Date.now()): boolean {
    return !key.retiredAt || key.retiredAt.getTime() + this.config.revocationMemoryMs > now;
  }

  /**
   * Creates a key inside the caller's transaction (which must hold the key lock): the next key,
   * or (first boot, or no next key to promote) a new active one that retires the previous.
   */
  private async createKey(tx: Tx, status: 'active' | 'next'): Promise<SigningKey> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    const created = await this.repository.create(tx, {
      kid: thumbprint(jwk),
      publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
      privateKeyEncrypted: this.keyMaterial.encrypt(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
    }, status);
    if (status === 'active') await this.repository.retireActive(tx, created.kid, new Date());
    return created;
  }

  /**
   * The published next key becomes the active one (the previous active key retires), and a new
   * next key is published in its place. Without a next key (never after boot) a fresh key is
   * activated instead. Returns the kid that signs from now on.
   */
  private async promoteNext(tx: Tx): Promise<string> {
    const next = await this.repository.findNext(tx);
    let kid: string;
    if (next) {
      await this.repository.retireActive(tx, next.kid, new Date());
      await this.repository.activate(tx, next.kid);
      kid = next.kid;
    } else {
      kid = (await this.createKey(tx, 'active')).kid;
    }
    await this.createKey(tx, 'next');
    return kid;
  }

  /**
   * POST /admin/keys/rotate: the already published next key signs from now on; the old one
   * retires gracefully; a new next key is published.
   */
  async rotate(): Promise<LoadedKey> {
    const kid = await this.revocations.transaction(async (tx, revoke) => {
      await this.repository.lock(tx);
      revoke.keysChanged();
      return this.promoteNext(tx);
    });
    await this.reload();
    return this.keys.get(kid)!;
  }

  /**
   * Marks a key revoked inside the caller's revoking transaction (whose caller records the
   * kid's revocation event). Revoking the active key first activates the published next key
   * (verifiers already know it), so signing never stops; revoking the next key publishes
   * another. Returns undefined for an unknown kid, false if it was already revoked.
   */
  async revokeIn(tx: Tx, revoke: Revoker, kid: string): Promise<{ replacedBy?: string } | undefined | false> {
    await this.repository.lock(tx);
    const key = await this.repository.findByKidForUpdate(tx, kid);
    if (!key) return undefined;
    if (key.status === 'revoked') return false;
    let replacedBy: string | undefined;
    await this.repository.markRevoked(tx, kid, new Date());
    if (key.status === 'active') replacedBy = await this.promoteNext(tx);
    else if (key.status === 'next') replacedBy = (await this.createKey(tx, 'next')).kid;
    revoke.keysChanged();
    return { replacedBy };
  }

  /**
   * Re-reads every key (single-flight): after rotation or revocation anywhere. A call made while
   * a read is in flight runs one more read: that read may predate the change it is told about.
   */
  reload(): Promise<void> {
    return this.reloads.run();
  }

  /**
   * While the bus is down nobody can tell this instance about a rotation elsewhere: one tiny
   * query on the key table's version decides whether a full re-read (and decryption) is due.
   */
  async reloadIfChanged(): Promise<void> {
    if ((await this.repository.version()) !== this.loadedVersion) await this.reload();
  }

  /**
   * A token named a kid this instance does not know: maybe another instance just rotated.
   * Reload, but at most once a second, so junk kids cannot hammer the database.
   */
  async reloadForUnknownKid(kid: string): Promise<boolean> {
    if (Date.now() - this.lastReloadAt >= UNKNOWN_KID_RELOAD_INTERVAL_MS) await this.reload();
    else await this.reloads.idle;
    return this.keys.has(kid);
  }

  private async load(): Promise<void> {
    this.lastReloadAt = Date.now();
    // Version first: a change between the two reads then shows as a newer version next probe
    // (one extra reload), never as a version that claims a change this load did not see.
    const version = await this.repository.version();
    const rows = await this.repository.findAll();
    const next = new Map<string, LoadedKey>();
    let activeKid: string | undefined;
    for (const row of rows) {
      const status = row.status;
      const previous = this.keys.get(row.kid);
      const loaded: LoadedKey = {
        kid: row.kid,
        status,
        publicKey: previous?.publicKey ?? createPublicKey({ key: row.publicJwk as Record<string, string>, format: 'jwk' }),
        publicJwk: row.publicJwk as Record<string, string>,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
        revokedAt: row.revokedAt,
      };
      if (status === 'active') {
        loaded.privateKey = previous?.privateKey ?? createPrivateKey(this.keyMaterial.decrypt(row.privateKeyEncrypted));
        activeKid = row.kid;
      }
      next.set(row.kid, loaded);
    }
    this.keys = next;
    this.activeKid = activeKid;
    this.loadedVersion = version;
  }
}

/** RFC 7638 JWK thumbprint: a stable, content-derived key id. */
function thumbprint(jwk: Record<string, string>): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}
