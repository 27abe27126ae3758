import { describe, expect, it } from 'vitest';
import { PinoLogger } from './pino-logger.js';

describe('PinoLogger', () => {
  it('stamps every line with the ISO 8601 time it was written (the stamp is reused within a millisecond only)', async () => {
    const lines: string[] = [];
    const sut = new PinoLogger('info', { write: (line: string) => void lines.push(line) });
    const before = Date.now();
    sut.log('first', 'Test');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const middle = Date.now();
    sut.log('second', 'Test');
    const after = Date.now();
    const [first, second] = lines.map((line) => JSON.parse(line) as { time: string; msg: string });
    for (const entry of [first, second]) expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(first.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(first.time)).toBeLessThan(middle);
    expect(Date.parse(second.time)).toBeGreaterThanOrEqual(middle);
    expect(Date.parse(second.time)).toBeLessThanOrEqual(after);
  });
});
