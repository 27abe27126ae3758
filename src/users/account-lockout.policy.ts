/**
 * The per-account lockout rule (issue 8 #3), as a pure function: the PostgreSQL store runs it
 * under a row lock, the Redis store runs the same rule as one Lua script (LOCKOUT_SCRIPT).
 *
 * Every password check is charged *before* bcrypt runs and refunded by a success, so concurrent
 * guesses cannot overshoot the budget: `threshold` checks may run, the next one locks the
 * account for base × 2^level (capped), and after a lock one more check is allowed before the
 * next, longer, lock. The whole record decays `decayMs` after the last charge or lock end.
 */
export interface LockoutPolicy {
  threshold: number;
  baseMs: number;
  capMs: number;
  decayMs: number;
}

export interface LockoutState {
  /** Checks charged and not refunded since the last success. */
  failures: number;
  /** Locks so far; the next lock lasts base × 2^level. */
  level: number;
  /** ms since epoch; 0 when never locked. */
  lockedUntil: number;
  /** ms since epoch: the record is forgotten (decayed) from then on. */
  expiresAt: number;
}

export type ChargeOutcome =
  | { allowed: true }
  | { allowed: false; retryAfterMs: number; lockedNow: boolean; level: number; lockMs: number };

/** Caps the exponent so 2^level stays a finite number whatever the history. */
export const MAX_LEVEL = 30;

export function lockDurationMs(level: number, policy: LockoutPolicy): number {
  return Math.min(policy.baseMs * 2 ** Math.min(level, MAX_LEVEL), policy.capMs);
}

export function charge(
  current: LockoutState | undefined,
  now: number,
  policy: LockoutPolicy,
): { outcome: ChargeOutcome; next: LockoutState } {
  const state = current && current.expiresAt > now ? current : { failures: 0, level: 0, lockedUntil: 0, expiresAt: 0 };
  if (state.lockedUntil > now) {
    return {
      outcome: { allowed: false, retryAfterMs: state.lockedUntil - now, lockedNow: false, level: state.level, lockMs: 0 },
      next: state,
    };
  }
  const failures = state.failures + 1;
  if (failures <= policy.threshold) {
    return { outcome: { allowed: true }, next: { ...state, failures, expiresAt: now + policy.decayMs } };
  }
  const lockMs = lockDurationMs(state.level, policy);
  const lockedUntil = now + lockMs;
  const level = Math.min(state.level + 1, MAX_LEVEL);
  return {
    outcome: { allowed: false, retryAfterMs: lockMs, lockedNow: true, level, lockMs },
    // One more check once the lock ends; a failure there makes the next check lock again.
    next: { failures: policy.threshold - 1, level, lockedUntil, expiresAt: lockedUntil + policy.decayMs },
  };
}

/** The same rule for Redis, atomic in one script, on Redis's own clock (TIME). */
export const LOCKOUT_SCRIPT = `
local key = KEYS[1]
local threshold = tonumber(ARGV[1])
local baseMs = tonumber(ARGV[2])
local capMs = tonumber(ARGV[3])
local decayMs = tonumber(ARGV[4])
local maxLevel = tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'failures', 'level', 'lockedUntil')
local failures = tonumber(state[1]) or 0
local level = tonumber(state[2]) or 0
local lockedUntil = tonumber(state[3]) or 0
if lockedUntil > now then
  return {0, lockedUntil - now, 0, level, 0}
end
failures = failures + 1
if failures <= threshold then
  redis.call('HSET', key, 'failures', failures, 'level', level, 'lockedUntil', lockedUntil)
  redis.call('PEXPIRE', key, decayMs)
  return {1, 0, 0, level, 0}
end
local lockMs = math.min(baseMs * math.pow(2, math.min(level, maxLevel)), capMs)
lockedUntil = now + lockMs
level = math.min(level + 1, maxLevel)
redis.call('HSET', key, 'failures', threshold - 1, 'level', level, 'lockedUntil', lockedUntil)
redis.call('PEXPIRE', key, lockMs + decayMs)
return {0, lockMs, 1, level, lockMs}
`;

/** Gives back a charge whose check never ran (the hashing queue refused it). */
export const REFUND_SCRIPT = `
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures'))
if failures and failures > 0 then redis.call('HINCRBY', KEYS[1], 'failures', -1) end
return 1
`;
