import { describe, expect, it } from 'vitest';
import { DEFAULT_ANOMALY_POLICY, parseAnomalyPolicy } from './anomaly-policy.js';

describe('ANOMALY_POLICY', () => {
  it("empty means API.md's defaults; pairs override type by type", () => {
    expect(parseAnomalyPolicy('')).toEqual({ policy: DEFAULT_ANOMALY_POLICY });
    expect(parseAnomalyPolicy(' new_network = suspend_user , reported=flag')).toEqual({
      policy: { ...DEFAULT_ANOMALY_POLICY, new_network: 'suspend_user', reported: 'flag' },
    });
  });

  it.each([
    ['new_network', 'is not a type=action pair'],
    ['bogus=flag', 'unknown anomaly type'],
    ['new_network=ban', 'unknown action'],
    ['new_network=flag,new_network=revoke_user', 'named twice'],
    ['refresh_token_reuse=flag', 'must at least revoke the session'],
  ])('refuses %s', (raw, message) => {
    const parsed = parseAnomalyPolicy(raw);
    expect('error' in parsed && parsed.error).toContain(message);
  });
});
