import { vi } from 'vitest';
import { UsersRepository } from '../../src/users/users.repository.js';
import type { TestApp } from './test-app.js';

/**
 * Holds the next login on `t` between reading the user row (its password hash) and everything
 * after it: `read` resolves once the row is read, the login continues on `release()`.
 */
export function holdNextUserRead(t: TestApp): { read: Promise<void>; release: () => void } {
  const repository = t.app.get(UsersRepository);
  const findByEmail = repository.findByEmail.bind(repository);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let readDone!: () => void;
  const read = new Promise<void>((resolve) => (readDone = resolve));
  vi.spyOn(repository, 'findByEmail').mockImplementationOnce(async (...args) => {
    const row = await findByEmail(...args);
    readDone();
    await gate;
    return row;
  });
  return { read, release };
}
