import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/domain-error.js';
import { toErrorResponse } from '../common/error-mapping.js';
import { AppConfig } from '../config/app-config.js';
import { PasswordHasher } from './password-hasher.service.js';

function hasher(env: Record<string, string> = {}): PasswordHasher {
  return new PasswordHasher(AppConfig.fromEnv({ BCRYPT_COST: '4', ...env }));
}

describe('PasswordHasher', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const sut = hasher();
    const hash = await sut.hash('correct horse battery staple');
    expect(hash).not.toContain('correct horse');
    expect(await sut.verify('correct horse battery staple', hash)).toBe(true);
    expect(await sut.verify('correct horse battery stapl', hash)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const sut = hasher();
    expect(await sut.hash('same password')).not.toBe(await sut.hash('same password'));
  });

  it('tells passwords apart past byte 72, where plain bcrypt truncates', async () => {
    const sut = hasher();
    const prefix = 'p'.repeat(72);
    const hash = await sut.hash(`${prefix}-registered`);
    expect(await sut.verify(`${prefix}-registered`, hash)).toBe(true);
    expect(await sut.verify(`${prefix}-attacker`, hash)).toBe(false);
    expect(await sut.verify(prefix, hash)).toBe(false);
  });

  it('tells multi-byte passwords apart past byte 72 (36 two-byte characters)', async () => {
    const sut = hasher();
    const prefix = 'é'.repeat(40); // 80 bytes in UTF-8
    const hash = await sut.hash(`${prefix}1`);
    expect(await sut.verify(`${prefix}1`, hash)).toBe(true);
    expect(await sut.verify(`${prefix}2`, hash)).toBe(false);
  });

  it('uses the configured cost', async () => {
    expect(await hasher({ BCRYPT_COST: '5' }).hash('password')).toMatch(/^\$2[aby]\$05\$/);
  });

  it('an unknown user (no hash) never verifies, whatever the password', async () => {
    const sut = hasher();
    expect(await sut.verify('gatehouse-dummy-password', undefined)).toBe(false);
    expect(await sut.verify('anything at all', undefined)).toBe(false);
  });

  it('when every slot is busy past the queue timeout, answers 503 service_unavailable with Retry-After', async () => {
    const sut = hasher({ BCRYPT_COST: '12', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_TIMEOUT_MS: '20' });
    const slow = sut.hash('occupies the only slot for a while');
    const queued = sut.hash('waits in line');
    expect(sut.queued).toBe(1);
    const error = await queued.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(DomainError);
    const mapped = toErrorResponse(error);
    expect(mapped.status).toBe(503);
    expect(mapped.body.code).toBe('service_unavailable');
    expect(Number(mapped.headers['retry-after'])).toBeGreaterThan(0);
    expect(sut.queued).toBe(0);
    await expect(slow).resolves.toMatch(/^\$2/);
  });

  it('a waiter gets the slot when one frees up within the timeout', async () => {
    const sut = hasher({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_TIMEOUT_MS: '10000' });
    const results = await Promise.all([sut.hash('first password'), sut.hash('second password'), sut.hash('third password')]);
    expect(results).toHaveLength(3);
    expect(sut.queued).toBe(0);
    // The slot is free again: a new call goes straight through.
    expect(await sut.verify('first password', results[0])).toBe(true);
  });
});
