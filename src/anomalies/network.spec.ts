import { describe, expect, it } from 'vitest';
import { networkOf } from './network.js';

describe('networkOf', () => {
  it('IPv4 /24, IPv6 /48, IPv4-mapped as IPv4', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(networkOf('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
  });

  it('nothing for a missing or malformed address', () => {
    expect(networkOf(undefined)).toBeUndefined();
    expect(networkOf('not-an-ip')).toBeUndefined();
  });
});
