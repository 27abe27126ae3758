import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { AccessTokenService } from '../tokens/access-token.service.js';

export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>);

const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** RFC 7009 revocation and RFC 7662 introspection over Gatehouse's two token types. */
@Injectable()
export class OAuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly accessTokens: AccessTokenService,
    private readonly sessions: SessionsService,
  ) {}

  /** Revoking either token type revokes its session. Unknown tokens are silently fine (RFC 7009 2.2). */
  async revoke(token: string, context: RequestContext): Promise<void> {
    const target = looksLikeJwt(token)
      ? await this.sessionOfAccessToken(token)
      : await this.sessions.findSessionByRefreshToken(token);
    if (!target) return;
    await this.sessions.revokeSession({
      ...target,
      reason: 'oauth_revoke',
      audit: { type: 'token_revoked', ...context, details: { via: 'rfc7009' } },
    });
  }

  async introspect(token: string): Promise<Introspection> {
    if (looksLikeJwt(token)) {
      try {
        const claims = await this.accessTokens.verify(token);
        return {
          active: true,
          token_type: 'Bearer',
          client_id: claims.client_id,
          sub: claims.sub,
          sid: claims.sid,
          role: claims.role,
          iss: claims.iss,
          aud: claims.aud,
          exp: claims.exp,
          iat: claims.iat,
          jti: claims.jti,
        };
      } catch (error) {
        if (error instanceof DomainError) return { active: false };
        throw error;
      }
    }
    const refresh = await this.sessions.introspectRefreshToken(token);
    if (!refresh) return { active: false };
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: this.config.get('ACCESS_TOKEN_CLIENT_ID'),
      ...refresh,
      iss: this.config.get('JWT_ISSUER'),
      aud: this.config.get('JWT_AUDIENCE'),
    };
  }

  /**
   * Only a live token names a session to revoke: an expired one revokes nothing (API.md), and a
   * token from a revoked key proves nothing (whoever holds that key could sign any sid).
   */
  async sessionOfAccessToken(token: string): Promise<{ sessionId: string; userId: string } | undefined> {
    try {
      const claims = await this.accessTokens.verify(token);
      return { sessionId: claims.sid, userId: claims.sub };
    } catch (error) {
      if (error instanceof DomainError) return undefined;
      throw error;
    }
  }
}
