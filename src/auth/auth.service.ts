import { Injectable } from '@nestjs/common';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { RefreshRotation } from '../sessions/refresh-rotation.service.js';
import { SessionsService, type IssuedTokens } from '../sessions/sessions.service.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { toUserResponse } from '../users/user.response.js';
import type { TokenResponse } from './auth.responses.js';
import { UsersService } from '../users/users.service.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly rotation: RefreshRotation,
    private readonly anomalies: AnomalyDetector,
  ) {}

  async login(email: string, password: string, context: RequestContext): Promise<IssuedTokens> {
    const user = await this.users.authenticate(email, password, context);
    const issued = await this.sessions.start(user, context);
    this.anomalies.loginSucceeded({ userId: user.id, sessionId: issued.sessionId, context });
    return issued;
  }

  refresh(refreshToken: string, context: RequestContext): Promise<IssuedTokens> {
    return this.rotation.refresh(refreshToken, context);
  }

  /**
   * Ends one session: the refresh token's if one is given, else the bearer's.
   * Logging out a session that is already revoked is not an error.
   */
  async logout(params: { refreshToken?: string; bearer?: VerifiedToken; context: RequestContext }): Promise<void> {
    let target: { sessionId: string; userId: string } | undefined;
    if (params.refreshToken) {
      target = await this.sessions.findSessionByRefreshToken(params.refreshToken);
      if (!target) throw new DomainError('invalid_refresh_token');
    } else if (params.bearer) {
      target = { sessionId: params.bearer.sid, userId: params.bearer.sub };
    } else {
      throw new DomainError('invalid_token', 'Send a bearer token or a refresh token.');
    }
    await this.sessions.revokeSession({
      ...target,
      reason: 'logout',
      audit: { type: 'logout', ...params.context },
    });
  }

  async logoutAll(bearer: VerifiedToken, context: RequestContext): Promise<void> {
    await this.sessions.revokeAllForUser({
      userId: bearer.sub,
      reason: 'logout_all',
      audit: { type: 'logout_all', ...context, details: { sessionId: bearer.sid } },
    });
  }
}

export function toTokenResponse(issued: IssuedTokens, includeRefreshToken: boolean): TokenResponse {
  return {
    tokenType: 'Bearer',
    accessToken: issued.accessToken,
    expiresIn: issued.expiresIn,
    ...(includeRefreshToken ? { refreshToken: issued.refreshToken } : {}),
    refreshExpiresIn: issued.refreshExpiresIn,
    sessionId: issued.sessionId,
    user: toUserResponse(issued.user),
  };
}
