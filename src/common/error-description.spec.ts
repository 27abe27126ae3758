import { describe, expect, it } from 'vitest';
import { describeError, firstOwnFrame } from './error-description.js';

const POOL_ENDED_STACK = [
  'Error: Cannot use a pool after calling end on the pool',
  `    at file://${process.cwd()}/node_modules/pg-pool/index.js:45:11`,
  `    at async Sql.rows (file://${process.cwd()}/dist/database/sql.service.js:40:17)`,
  `    at async LoginLockoutsRepository.reset (file://${process.cwd()}/dist/users/login-lockouts.repository.js:41:9)`,
  `    at async AccountLockoutService.guard (file://${process.cwd()}/dist/users/account-lockout.service.js:60:13)`,
].join('\n');

describe('describeError', () => {
  it('is one line: name, code and message of the error and its causes, and one location, never the stack', () => {
    const cause = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const sut = new Error('Cannot use a pool after calling end on the pool', { cause });
    sut.stack = POOL_ENDED_STACK;

    const line = describeError(sut);

    expect(line).toBe(
      'Error: Cannot use a pool after calling end on the pool <- caused by Error [57P01]: terminating connection due to administrator command' +
        ' (at LoginLockoutsRepository.reset dist/users/login-lockouts.repository.js:41)',
    );
    expect(line).not.toContain('\n');
    expect(line).not.toContain('AccountLockoutService');
  });

  it('names no location when no frame is Gatehouse’s own, and describes what is not an Error', () => {
    expect(firstOwnFrame('Error: x\n    at node:internal/process/task_queues:95:5\n    at /srv/node_modules/pg/lib/client.js:1:1')).toBeUndefined();
    expect(describeError('boom')).toBe('non-error thrown: boom');
  });
});
