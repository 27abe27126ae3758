import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/auth/auth.service.js';
import { SessionsService } from '../../src/sessions/sessions.service.js';
import { AccessTokenService } from '../../src/tokens/access-token.service.js';
import { UsersService } from '../../src/users/users.service.js';
import { rejectionCode, startServices, type TestServices } from '../support/services.js';

/** User-wide cut-offs (logout-all, password change): who is cut off and who is not, below HTTP. */
let s: TestServices;

beforeAll(async () => {
  s = await startServices();
});
afterAll(async () => {
  await s?.close();
});

describe('user-wide cut-offs', () => {
  it('logout-all kills every session of the user, cached tokens included, and nobody else\'s; a login right after works', async () => {
    const tokens = s.get(AccessTokenService);
    const first = await s.login();
    const second = await s.get(AuthService).login(first.email, first.password, {});
    const bystander = await s.login();
    // Verified once, so the next look is served from the verified-token cache.
    await tokens.verify(first.accessToken);

    await s.get(SessionsService).revokeAllForUser({ userId: first.user.id, reason: 'logout_all', audit: { type: 'logout_all' } });

    expect(await rejectionCode(tokens.verify(first.accessToken))).toBe('token_revoked');
    expect(await rejectionCode(tokens.verify(second.accessToken))).toBe('token_revoked');
    await expect(tokens.verify(bystander.accessToken)).resolves.toMatchObject({ sub: bystander.user.id });
    const revoked = await s.sql<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL', [first.user.id]);
    expect(revoked).toEqual([{ n: 2 }]);

    const again = await s.get(AuthService).login(first.email, first.password, {});
    await expect(tokens.verify(again.accessToken)).resolves.toMatchObject({ sid: again.sessionId });
  });

  it('a password change spares exactly the session that made it', async () => {
    const tokens = s.get(AccessTokenService);
    const current = await s.login();
    const other = await s.get(AuthService).login(current.email, current.password, {});
    const claims = await tokens.verify(current.accessToken);

    await s.get(UsersService).changePassword({
      userId: claims.sub,
      sessionId: claims.sid,
      currentPassword: current.password,
      newPassword: 'a brand new passphrase',
      context: {},
    });

    await expect(tokens.verify(current.accessToken)).resolves.toMatchObject({ sid: current.sessionId });
    expect(await rejectionCode(tokens.verify(other.accessToken))).toBe('token_revoked');
    expect(await rejectionCode(s.get(AuthService).login(current.email, current.password, {}))).toBe('invalid_credentials');
    const fresh = await s.get(AuthService).login(current.email, 'a brand new passphrase', {});
    await expect(tokens.verify(fresh.accessToken)).resolves.toMatchObject({ sid: fresh.sessionId });
  });

  it('a later cut-off keeps covering what an earlier one covered (no resurrection by a newer spare)', async () => {
    const tokens = s.get(AccessTokenService);
    const a = await s.login();
    const b = await s.get(AuthService).login(a.email, a.password, {});
    const sessions = s.get(SessionsService);
    await sessions.revokeAllForUser({ userId: a.user.id, reason: 'logout_all', exceptSessionId: b.sessionId, audit: { type: 'logout_all' } });
    expect(await rejectionCode(tokens.verify(a.accessToken))).toBe('token_revoked');
    await expect(tokens.verify(b.accessToken)).resolves.toMatchObject({ sid: b.sessionId });
    // Sparing an already revoked session is refused rather than bringing its tokens back.
    expect(
      await rejectionCode(sessions.revokeAllForUser({ userId: a.user.id, reason: 'logout_all', exceptSessionId: a.sessionId, audit: { type: 'logout_all' } })),
    ).toBe('token_revoked');
    expect(await rejectionCode(tokens.verify(a.accessToken))).toBe('token_revoked');
  });
});
