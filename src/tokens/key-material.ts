import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';

const FORMAT = 'v1';

function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'gatehouse', purpose, 32));
}

/**
 * Keys derived from KEY_ENCRYPTION_SECRET: one encrypts signing keys at rest (AES-256-GCM),
 * one derives refresh-token successors, one authenticates revocation push messages between
 * instances. Older secrets (KEY_ENCRYPTION_OLD_SECRETS) still decrypt and still verify pushes,
 * so the secret can be rotated: boot with the new secret and the old one listed, run
 * `npm run keys:reencrypt`, then drop the old one.
 */
export class KeyMaterial {
  private readonly encryptionKey: Buffer;
  private readonly oldEncryptionKeys: Buffer[];
  readonly successorKey: Buffer;
  /** HMAC keys for push messages (push-message.ts): the first signs, all verify. */
  readonly pushKeys: readonly Buffer[];

  constructor(secret: string, oldSecrets: string[] = []) {
    this.encryptionKey = deriveKey(secret, 'signing-key-encryption');
    this.oldEncryptionKeys = oldSecrets.map((old) => deriveKey(old, 'signing-key-encryption'));
    this.successorKey = deriveKey(secret, 'refresh-token-successor');
    this.pushKeys = [secret, ...oldSecrets].map((each) => deriveKey(each, 'revocation-push'));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  decrypt(sealed: string): string {
    const [format, iv, tag, ciphertext] = sealed.split('.');
    if (format !== FORMAT || !iv || !tag || !ciphertext) throw new Error('unrecognised encrypted key format');
    for (const key of [this.encryptionKey, ...this.oldEncryptionKeys]) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // try the next (older) secret
      }
    }
    throw new Error('cannot decrypt a signing key: KEY_ENCRYPTION_SECRET (or KEY_ENCRYPTION_OLD_SECRETS) does not match');
  }

  /** True when `sealed` was not encrypted under the current secret. */
  needsReencryption(sealed: string): boolean {
    const [, iv, tag, ciphertext] = sealed.split('.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv ?? '', 'base64url'));
      decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
      decipher.update(Buffer.from(ciphertext ?? '', 'base64url'));
      decipher.final();
      return false;
    } catch {
      return true;
    }
  }

  /**
   * The configured secret, or outside production one generated on first boot and kept under
   * DATA_DIR (with a warning: every instance sharing a database needs the same secret).
   */
  static async load(config: AppConfig): Promise<KeyMaterial> {
    const oldSecrets = (config.get('KEY_ENCRYPTION_OLD_SECRETS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const configured = config.get('KEY_ENCRYPTION_SECRET');
    if (configured) return new KeyMaterial(configured, oldSecrets);
    const file = path.resolve(config.get('DATA_DIR'), 'key-encryption-secret');
    const logger = new Logger('KeyMaterial');
    if (existsSync(file)) {
      logger.warn(`KEY_ENCRYPTION_SECRET is not set; using the generated secret in ${file}`);
      return new KeyMaterial((await readFile(file, 'utf8')).trim(), oldSecrets);
    }
    await mkdir(path.dirname(file), { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn(`KEY_ENCRYPTION_SECRET is not set; generated one and stored it in ${file}. Set it explicitly in production.`);
    return new KeyMaterial(secret, oldSecrets);
  }
}
