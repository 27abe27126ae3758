import { describe, expect, it, vi } from 'vitest';
import { SigningKeysRepository } from '../../src/tokens/signing-keys.repository.js';
import { createLoggedIn, eventually, loginAs } from '../support/factories.js';
import { createTestDatabase, startApp } from '../support/test-app.js';

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

describe('an instance that cannot hear rotations (bus down) probes the key table instead of re-reading it', () => {
  it('runs one tiny version query per beat, and re-reads the keys only when they changed', async () => {
    const databaseUrl = await createTestDatabase();
    const a = await startApp({ databaseUrl });
    const b = await startApp({ databaseUrl, env: { REDIS_URL: 'redis://127.0.0.1:1', REVOCATION_SYNC_INTERVAL_MS: '100' } });
    try {
      const repository = b.app.get(SigningKeysRepository);
      const findAll = vi.spyOn(repository, 'findAll');
      const version = vi.spyOn(repository, 'version');
      await eventually(async () => expect(version.mock.calls.length).toBeGreaterThanOrEqual(5), 5000, 50);
      // Nothing changed: no full read (and no decryption) of the key table, however many beats.
      expect(findAll).not.toHaveBeenCalled();

      const admin = await createLoggedIn(a, { role: 'admin' });
      const rotated = await a.http.post('/admin/keys/rotate').set(admin.bearer);
      expect(rotated.status).toBe(201);
      await eventually(async () => expect(kidOf((await loginAs(b, admin)).accessToken)).toBe(rotated.body.kid), 3000, 50);
      expect(findAll).toHaveBeenCalled();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
