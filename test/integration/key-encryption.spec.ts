import { afterAll, describe, expect, it } from 'vitest';
import { reencryptSigningKeys } from '../../src/cli/reencrypt-keys.js';
import { AppConfig } from '../../src/config/app-config.js';
import { createLoggedIn } from '../support/factories.js';
import { createTestDatabase, startApp, testEnv, type TestApp } from '../support/test-app.js';

const OLD = 'old-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const NEW = 'new-secret-9876543210-zyxwvutsrqponmlkjihgfedcba';

describe('KEY_ENCRYPTION_SECRET rotation', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it('keeps private keys encrypted at rest and re-encrypts them under a new secret', async () => {
    const databaseUrl = await createTestDatabase();
    const first = await startApp({ databaseUrl, env: { KEY_ENCRYPTION_SECRET: OLD } });
    apps.push(first);
    const user = await createLoggedIn(first);
    const [stored] = await first.sql<{ private_key_encrypted: string; public_jwk: Record<string, string> }>(
      "SELECT private_key_encrypted, public_jwk FROM signing_keys WHERE status = 'active'",
    );
    expect(stored.private_key_encrypted).toMatch(/^v1\./);
    expect(stored.private_key_encrypted).not.toContain('PRIVATE KEY');
    expect(stored.public_jwk).not.toHaveProperty('d');
    await first.close();
    apps.pop();

    // The new secret alone cannot read the old key: boot fails loudly rather than minting a new one.
    await expect(startApp({ databaseUrl, env: { KEY_ENCRYPTION_SECRET: NEW } })).rejects.toThrow(/KEY_ENCRYPTION_SECRET/);

    const config = AppConfig.fromEnv(testEnv(databaseUrl, { KEY_ENCRYPTION_SECRET: NEW, KEY_ENCRYPTION_OLD_SECRETS: OLD }));
    // The active key and the next one (published, not signing yet): both encrypted at rest.
    expect(await reencryptSigningKeys(config)).toEqual({ reencrypted: 2, total: 2 });
    expect(await reencryptSigningKeys(config)).toEqual({ reencrypted: 0, total: 2 });

    const second = await startApp({ databaseUrl, env: { KEY_ENCRYPTION_SECRET: NEW } });
    apps.push(second);
    // Same key, so the token issued before the rotation still verifies; signing still works.
    expect((await second.http.get('/auth/session').set(user.bearer)).status).toBe(200);
    await createLoggedIn(second);
  });
});
