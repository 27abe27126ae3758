import { describe, expect, it } from 'vitest';
import { KeyMaterial } from '../key-material.js';
import { parseSigned, PushAuthenticator, type BusMessage } from './push-message.js';

const secret = 'push-spec-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const sut = new PushAuthenticator(new KeyMaterial(secret).pushKeys);
const cutOff: BusMessage = {
  type: 'revocation',
  revocation: {
    id: '42',
    sub: '5f0c6a9e-7d1b-4c3a-9e2f-1a2b3c4d5e6f',
    notBefore: 1_764_000_000_000,
    exceptSid: '0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a',
    reason: 'password_change',
    revokedAt: 1_764_000_000_123,
  },
};
/** As the receiver sees it: through JSON and the parser. */
const received = (signed: unknown) => parseSigned(JSON.parse(JSON.stringify(signed)))!;

describe('PushAuthenticator', () => {
  it('verifies what it signed, after the trip through JSON', () => {
    expect(sut.verify('chan', received(sut.sign('chan', cutOff)))).toBe(true);
    expect(sut.verify('chan', received(sut.sign('chan', { type: 'keys_changed' })))).toBe(true);
  });

  it.each([
    ['id', '43'],
    ['sub', '5f0c6a9e-7d1b-4c3a-9e2f-1a2b3c4d5e70'],
    ['notBefore', 1_764_000_000_001],
    ['exceptSid', undefined],
    ['reason', 'logout'],
    ['revokedAt', 1_764_000_000_124],
    ['sid', '0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a'],
    ['kid', 'k1'],
  ])('rejects the message once %s is changed', (field, value) => {
    const signed = sut.sign('chan', cutOff);
    const revocation = { ...(signed.message as Extract<BusMessage, { type: 'revocation' }>).revocation, [field]: value };
    expect(sut.verify('chan', received({ ...signed, message: { type: 'revocation', revocation } }))).toBe(false);
  });

  it('rejects a MAC made for another channel, under another secret, or for another message type', () => {
    expect(sut.verify('other', received(sut.sign('chan', cutOff)))).toBe(false);
    const stranger = new PushAuthenticator(new KeyMaterial('another-secret-0123456789-abcdefghijklmnopqrstuvwxyz').pushKeys);
    expect(sut.verify('chan', received(stranger.sign('chan', cutOff)))).toBe(false);
    const keys = sut.sign('chan', { type: 'keys_changed' });
    expect(sut.verify('chan', received({ message: cutOff, mac: keys.mac }))).toBe(false);
    expect(sut.verify('chan', received({ message: cutOff, mac: keys.mac.slice(0, 20) }))).toBe(false);
  });

  it('still verifies messages signed under a secret being rotated out, and signs under the new one', () => {
    const rotating = new PushAuthenticator(new KeyMaterial('the-new-secret-0123456789-abcdefghijklmnopqrstuvw', [secret]).pushKeys);
    expect(rotating.verify('chan', received(sut.sign('chan', cutOff)))).toBe(true);
    expect(sut.verify('chan', received(rotating.sign('chan', cutOff)))).toBe(false);
  });
});

describe('parseSigned', () => {
  it('keeps only the fields the MAC covers', () => {
    const signed = sut.sign('chan', cutOff);
    const parsed = received({ ...signed, message: { ...signed.message, revocation: { ...cutOff.revocation, extra: 'x' } } });
    expect(parsed.message).toEqual(cutOff);
    expect(Object.keys((parsed.message as typeof cutOff).revocation)).not.toContain('extra');
  });

  it.each([
    ['no MAC', { message: cutOff }],
    ['a numeric id', { message: { type: 'revocation', revocation: { ...cutOff.revocation, id: 42 } }, mac: 'x' }],
    ['an id beyond a bigint', { message: { type: 'revocation', revocation: { ...cutOff.revocation, id: '9223372036854775808' } }, mac: 'x' }],
    ['a time as text', { message: { type: 'revocation', revocation: { ...cutOff.revocation, revokedAt: '2026-01-01' } }, mac: 'x' }],
    ['a sid that is no string', { message: { type: 'revocation', revocation: { ...cutOff.revocation, sid: 7 } }, mac: 'x' }],
    ['another type', { message: { type: 'revoke' }, mac: 'x' }],
    ['null', null],
  ])('refuses %s', (_label, raw) => {
    expect(parseSigned(raw)).toBeUndefined();
  });
});
