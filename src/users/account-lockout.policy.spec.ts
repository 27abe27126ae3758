import { describe, expect, it } from 'vitest';
import { charge, lockDurationMs, type LockoutPolicy, type LockoutState } from './account-lockout.policy.js';

const policy: LockoutPolicy = { threshold: 3, baseMs: 60_000, capMs: 900_000, decayMs: 900_000 };
const T0 = Date.UTC(2026, 0, 1);

/** Charges `times` checks at `now`, returning the outcomes and the final state. */
function chargeMany(state: LockoutState | undefined, now: number, times: number) {
  const outcomes = [];
  let current = state;
  for (let i = 0; i < times; i++) {
    const { outcome, next } = charge(current, now, policy);
    outcomes.push(outcome);
    current = next;
  }
  return { outcomes, state: current! };
}

describe('account lockout policy', () => {
  it('allows `threshold` checks, then locks for the base duration', () => {
    const { outcomes, state } = chargeMany(undefined, T0, 4);
    expect(outcomes.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(outcomes[3]).toEqual({ allowed: false, retryAfterMs: 60_000, lockedNow: true, level: 1, lockMs: 60_000 });
    expect(state.lockedUntil).toBe(T0 + 60_000);
  });

  it('while locked, every check is refused with the time left and nothing is counted', () => {
    const { state } = chargeMany(undefined, T0, 4);
    const { outcome, next } = charge(state, T0 + 45_000, policy);
    expect(outcome).toEqual({ allowed: false, retryAfterMs: 15_000, lockedNow: false, level: 1, lockMs: 0 });
    expect(next).toEqual(state);
  });

  it('after a lock one more check is allowed; failing it doubles the next lock, up to the cap', () => {
    let { state } = chargeMany(undefined, T0, 4);
    const locks: number[] = [60_000];
    for (let i = 0; i < 6; i++) {
      const now = state.lockedUntil;
      const once = charge(state, now, policy);
      expect(once.outcome).toEqual({ allowed: true });
      const again = charge(once.next, now, policy);
      expect(again.outcome.allowed).toBe(false);
      locks.push(again.outcome.allowed ? 0 : again.outcome.lockMs);
      state = again.next;
    }
    expect(locks).toEqual([60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
  });

  it('decays: a record untouched for decayMs (after any lock) is forgotten', () => {
    const { state } = chargeMany(undefined, T0, 2);
    expect(charge(state, T0 + policy.decayMs - 1, policy).next.failures).toBe(3);
    expect(charge(state, T0 + policy.decayMs, policy).next.failures).toBe(1);
    const locked = chargeMany(undefined, T0, 4).state;
    expect(locked.expiresAt).toBe(T0 + 60_000 + policy.decayMs);
    expect(charge(locked, locked.expiresAt, policy).next).toMatchObject({ failures: 1, level: 0 });
  });

  it('the exponent is capped, so a long history cannot overflow', () => {
    expect(lockDurationMs(10_000, policy)).toBe(900_000);
    expect(Number.isFinite(lockDurationMs(10_000, { ...policy, capMs: Number.MAX_SAFE_INTEGER }))).toBe(true);
  });
});
