import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccessTokenService } from '../../src/tokens/access-token.service.js';
import { rejectionCode, startServices, type TestServices } from '../support/services.js';

/** Access-token expiry with the clock-skew leeway, for tokens verified before (cache) or not. */
const TTL = 60;
const LEEWAY = 5;
let s: TestServices;

beforeAll(async () => {
  s = await startServices({ env: { ACCESS_TOKEN_TTL_SECONDS: String(TTL), CLOCK_SKEW_SECONDS: String(LEEWAY) } });
});
afterAll(async () => {
  await s?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

function expOf(token: string): number {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp;
}

/** Sets this process's clock (the services run in it); timers and I/O stay real. */
function clockAt(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  vi.setSystemTime(ms);
}

describe('access-token expiry and the verified-token cache', () => {
  it('accepts a token up to exp + leeway and refuses it after, whether cached or never seen', async () => {
    const tokens = s.get(AccessTokenService);
    const cached = await s.login();
    const unseen = await s.login();
    await tokens.verify(cached.accessToken);
    const exp = Math.max(expOf(cached.accessToken), expOf(unseen.accessToken));

    clockAt((exp + LEEWAY - 2) * 1000);
    await expect(tokens.verify(cached.accessToken)).resolves.toMatchObject({ sid: cached.sessionId });

    clockAt((exp + LEEWAY + 2) * 1000);
    expect(await rejectionCode(tokens.verify(cached.accessToken))).toBe('token_expired');
    expect(await rejectionCode(tokens.verify(cached.accessToken))).toBe('token_expired');
    expect(await rejectionCode(tokens.verify(unseen.accessToken))).toBe('token_expired');
  });

  it('the cache does not outlive the token: an expired entry is dropped, not served', async () => {
    const tokens = s.get(AccessTokenService);
    const login = await s.login();
    await tokens.verify(login.accessToken);
    const before = tokens.verifiedCacheSize;
    clockAt((expOf(login.accessToken) + LEEWAY + 1) * 1000);
    expect(await rejectionCode(tokens.verify(login.accessToken))).toBe('token_expired');
    expect(tokens.verifiedCacheSize).toBe(before - 1);
  });
});
