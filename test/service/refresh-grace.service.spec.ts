import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshRotation } from '../../src/sessions/refresh-rotation.service.js';
import { AccessTokenService } from '../../src/tokens/access-token.service.js';
import { rejectionCode, startServices, type TestServices } from '../support/services.js';

/** Grace window rules of refresh rotation (DESIGN.md "Refresh rotation and theft detection"), below HTTP. */
const GRACE_SECONDS = 10;
let s: TestServices;

beforeAll(async () => {
  s = await startServices({ env: { REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS) } });
});
afterAll(async () => {
  await s?.close();
});

/** As if the token's rotation had happened `seconds` earlier (no waiting). */
async function ageRotation(token: string, seconds: number): Promise<void> {
  const hash = createHash('sha256').update(token).digest('hex');
  const rows = await s.sql('UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => $2) WHERE token_hash = $1 AND used_at IS NOT NULL RETURNING id', [hash, seconds]);
  expect(rows).toHaveLength(1);
}

describe('refresh grace window', () => {
  it('a repeat inside the window gets the same successor and a working access token; the session stays live', async () => {
    const login = await s.login();
    const rotation = s.get(RefreshRotation);
    const first = await rotation.refresh(login.refreshToken, {});
    await ageRotation(login.refreshToken, GRACE_SECONDS - 2);
    const repeat = await rotation.refresh(login.refreshToken, {});
    expect(repeat.refreshToken).toBe(first.refreshToken);
    expect(repeat.sessionId).toBe(login.sessionId);
    await expect(s.get(AccessTokenService).verify(repeat.accessToken)).resolves.toMatchObject({ sid: login.sessionId });
    const [session] = await s.sql('SELECT revoked_at FROM sessions WHERE id = $1', [login.sessionId]);
    expect(session.revoked_at).toBeNull();
    // The successor itself rotates normally.
    expect((await rotation.refresh(first.refreshToken, {})).refreshToken).not.toBe(first.refreshToken);
  });

  it('a repeat past the window is reuse: refresh_token_reused, and the session and all its tokens die', async () => {
    const login = await s.login();
    const rotation = s.get(RefreshRotation);
    const tokens = s.get(AccessTokenService);
    const first = await rotation.refresh(login.refreshToken, {});
    await tokens.verify(first.accessToken);
    await ageRotation(login.refreshToken, GRACE_SECONDS + 2);
    expect(await rejectionCode(rotation.refresh(login.refreshToken, {}))).toBe('refresh_token_reused');

    const [session] = await s.sql('SELECT revoked_reason FROM sessions WHERE id = $1', [login.sessionId]);
    expect(session.revoked_reason).toBe('refresh_reuse');
    expect(await rejectionCode(tokens.verify(first.accessToken))).toBe('token_revoked');
    expect(await rejectionCode(tokens.verify(login.accessToken))).toBe('token_revoked');
    expect(await rejectionCode(rotation.refresh(first.refreshToken, {}))).toBe('session_revoked');
    expect(await rejectionCode(rotation.refresh(login.refreshToken, {}))).toBe('session_revoked');
  });

  it('a token never rotated is not a repeat, however old the session', async () => {
    const login = await s.login();
    await s.sql(`UPDATE sessions SET created_at = created_at - interval '1 day', last_used_at = last_used_at - interval '1 day' WHERE id = $1`, [login.sessionId]);
    const rotated = await s.get(RefreshRotation).refresh(login.refreshToken, {});
    expect(rotated.refreshToken).not.toBe(login.refreshToken);
  });
});
