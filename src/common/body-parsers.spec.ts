import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, findIllFormedString, MAX_JSON_DEPTH } from './body-parsers.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('exceedsJsonDepth', () => {
  it('accepts exactly the limit and refuses one level more, for arrays and objects alike', () => {
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect(exceedsJsonDepth(objects(MAX_JSON_DEPTH))).toBe(false);
    expect(exceedsJsonDepth(objects(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(exceedsJsonDepth(`{"a":[{"b":[${nested(MAX_JSON_DEPTH - 3)}]}]}`)).toBe(true);
  });

  it('counts depth, not brackets: wide input is fine', () => {
    expect(exceedsJsonDepth(`[${Array.from({ length: 10_000 }, () => '[1]').join(',')}]`)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(JSON.stringify({ a: '['.repeat(1000) }))).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ a: '\\"[[[[' + '['.repeat(100), b: '"{{{' }))).toBe(false);
    expect(exceedsJsonDepth(`{"a":"\\\\",${'"b":['.slice(0, 5)}${nested(MAX_JSON_DEPTH)}]}`)).toBe(true);
  });

  it('scans a 100 kB hostile body in about a millisecond (linear, no recursion)', () => {
    const body = Buffer.from(nested(50_000));
    const started = performance.now();
    expect(exceedsJsonDepth(body, 1_000_000)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('findIllFormedString', () => {
  it('names the first field holding a lone surrogate, in values and keys', () => {
    expect(findIllFormedString({ email: '\ud800@example.test' })).toBe('email');
    expect(findIllFormedString({ a: { '\udfff': 1 } })).toBe('a.\udfff');
    expect(findIllFormedString({ list: ['ok', 'bad\udc00'] })).toBe('list.1');
  });

  it('accepts well-formed text, astral characters (surrogate pairs) included', () => {
    expect(findIllFormedString({ name: 'Ada 😀 Lovelace', n: 1, x: null, y: [true] })).toBeUndefined();
  });
});
