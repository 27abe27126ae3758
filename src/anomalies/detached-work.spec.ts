import type { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { DetachedWork } from './detached-work.js';

function capturingLogger(): { logger: Logger; warnings: unknown[][] } {
  const warnings: unknown[][] = [];
  return { logger: { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger, warnings };
}

describe('DetachedWork', () => {
  it('runs at most `limit` at once and drops (and counts) the rest', async () => {
    const { logger } = capturingLogger();
    const sut = new DetachedWork(2, logger);
    const release: Array<() => void> = [];
    let started = 0;
    const blocked = () => new Promise<void>((resolve) => (started++, release.push(resolve)));
    for (let i = 0; i < 5; i++) sut.run('test', blocked);
    expect(started).toBe(2);
    expect(sut.dropped).toBe(3);
    release.forEach((resolve) => resolve());
    await sut.settle();
    sut.run('test', blocked);
    expect(started).toBe(3);
    release[2]();
    await sut.settle();
  });

  it('logs a failure as one line, without stack or the rest of the message', async () => {
    const { logger, warnings } = capturingLogger();
    const sut = new DetachedWork(4, logger);
    sut.run('new_network', () => Promise.reject(new Error('connection refused\n  at secret-query (SELECT ...)')));
    await sut.settle();
    expect(warnings).toEqual([['new_network failed: connection refused']]);
  });
});
