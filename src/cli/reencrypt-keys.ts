// `npm run keys:reencrypt`: after changing KEY_ENCRYPTION_SECRET, with the previous secret in
// KEY_ENCRYPTION_OLD_SECRETS, re-encrypt every stored signing key under the new secret. Then
// the old secret can be dropped from the configuration.
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { AppConfig } from '../config/app-config.js';
import { DatabaseConnection } from '../database/database-connection.js';
import { PrismaService } from '../database/prisma.service.js';
import { Sql } from '../database/sql.service.js';
import { KeyMaterial } from '../tokens/key-material.js';
import { SigningKeysRepository } from '../tokens/signing-keys.repository.js';

export async function reencryptSigningKeys(config: AppConfig): Promise<{ reencrypted: number; total: number }> {
  const connection = await DatabaseConnection.open(config);
  const prisma = new PrismaService(new Sql(connection));
  try {
    const keyMaterial = await KeyMaterial.load(config);
    const repository = new SigningKeysRepository(prisma);
    const keys = await repository.findAll();
    let reencrypted = 0;
    for (const key of keys) {
      if (!keyMaterial.needsReencryption(key.privateKeyEncrypted)) continue;
      // decrypt() tries the current secret, then every old one; it throws if none fits.
      const plaintext = keyMaterial.decrypt(key.privateKeyEncrypted);
      await repository.updateEncrypted(key.kid, keyMaterial.encrypt(plaintext));
      reencrypted++;
    }
    return { reencrypted, total: keys.length };
  } finally {
    await prisma.$disconnect();
    await connection.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  reencryptSigningKeys(AppConfig.fromEnv())
    .then(({ reencrypted, total }) => {
      process.stdout.write(`re-encrypted ${reencrypted} of ${total} signing keys under the current KEY_ENCRYPTION_SECRET\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`re-encryption failed: ${(error as Error).message}\n`);
      process.exit(1);
    });
}
