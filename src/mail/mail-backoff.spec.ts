import { describe, expect, it } from 'vitest';
import { describeFailure, isPermanentFailure, retryDelayMs } from './mail-backoff.js';

describe('retryDelayMs', () => {
  it('doubles from the base with each failed attempt, up to the cap', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 5].map((attempts) => retryDelayMs(attempts, 1000, 10_000, noJitter))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(retryDelayMs(40, 1000, 10_000, noJitter)).toBe(10_000);
  });

  it('takes off at most 20% as jitter', () => {
    expect(retryDelayMs(3, 1000, 60_000, () => 1)).toBe(3200);
    expect(retryDelayMs(3, 1000, 60_000, () => 0.5)).toBe(3600);
  });
});

describe('isPermanentFailure', () => {
  it('is true only for a 5xx answer to the envelope or the message', () => {
    expect(isPermanentFailure({ code: 'EENVELOPE', responseCode: 550 })).toBe(true);
    expect(isPermanentFailure({ code: 'EMESSAGE', responseCode: 552 })).toBe(true);
    expect(isPermanentFailure({ code: 'EENVELOPE', responseCode: 451 })).toBe(false);
    expect(isPermanentFailure({ code: 'EAUTH', responseCode: 535 })).toBe(false);
    expect(isPermanentFailure({ code: 'ECONNECTION' })).toBe(false);
    expect(isPermanentFailure(new Error('boom'))).toBe(false);
  });
});

describe('describeFailure', () => {
  it('prefers the SMTP reply, on one bounded line', () => {
    expect(describeFailure({ code: 'EENVELOPE', response: '550 5.1.1\r\n No such user', message: 'ignored' })).toBe('EENVELOPE: 550 5.1.1 No such user');
    expect(describeFailure(new Error('x'.repeat(600)))).toHaveLength(500);
  });
});
