import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { extractBearerToken } from '@gatehouse/verifier/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { contextOf } from '../common/auth.decorators.js';
import { AccessTokenService } from '../tokens/access-token.service.js';

export type Caller =
  | { kind: 'client'; clientId: string }
  /** `stillValid` re-checks the admin's bearer (revocation, expiry) for long-lived streams. */
  | { kind: 'admin'; sub: string; stillValid: () => Promise<boolean> }
  /** RFC 7009 2.1: a public client (Gatehouse's own SPAs) naming itself, or no client at all. */
  | { kind: 'public'; clientId: string | undefined };

/**
 * RFC 6749 5.2: a challenge when the client tried HTTP Basic (or sent nothing where
 * authentication is required); credentials in the body are refused without one.
 */
const INVALID_CLIENT = (challenge = true) =>
  new DomainError('invalid_client', 'Client authentication failed.', {
    headers: challenge ? { 'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"' } : {},
  });

/** Client credentials as RFC 6749 2.3.1 allows them: HTTP Basic, or client_id/client_secret in the body. */
interface PresentedCredentials {
  basic?: string;
  bearer?: string;
  bodyId?: unknown;
  bodySecret?: unknown;
}

/**
 * Authenticates resource servers for introspection and the revocation feed (HTTP Basic or the
 * body with a client from INTROSPECTION_CLIENTS, secrets compared in constant time, or an admin
 * bearer), and the optional client authentication of RFC 7009 revocation.
 */
@Injectable()
export class ClientAuth {
  private readonly clients: Map<string, Buffer>;
  private readonly publicClientId: string;

  constructor(
    config: AppConfig,
    private readonly accessTokens: AccessTokenService,
    private readonly anomalies: AnomalyDetector,
  ) {
    this.clients = new Map([...config.get('INTROSPECTION_CLIENTS')].map(([id, secret]) => [id, digest(secret)]));
    this.publicClientId = config.get('ACCESS_TOKEN_CLIENT_ID');
  }

  /** Introspection and the feed: a confidential client or an admin bearer is required. */
  async authenticate(request: FastifyRequest): Promise<Caller> {
    const presented = credentialsOf(request);
    if (presented.bearer !== undefined && presented.bodySecret === undefined) return this.adminBearer(presented.bearer, request);
    const caller = this.confidential(presented);
    if (!caller) throw INVALID_CLIENT();
    return caller;
  }

  /**
   * RFC 7009 2.1: credentials are optional (SPAs are public clients), but credentials that are
   * presented must be right: a wrong secret, an unknown client_id, or a confidential client's
   * id without its secret answer 401 invalid_client. A bearer header is not client
   * authentication and is ignored here.
   */
  authenticateOptional(request: FastifyRequest): Caller {
    const presented = credentialsOf(request);
    const confidential = this.confidential(presented);
    if (confidential) return confidential;
    if (presented.bodyId === undefined) return { kind: 'public', clientId: undefined };
    if (presented.bodyId === this.publicClientId) return { kind: 'public', clientId: this.publicClientId };
    throw INVALID_CLIENT(false);
  }

  /** undefined when no secret was presented at all; throws when one was presented wrongly. */
  private confidential(presented: PresentedCredentials): Caller | undefined {
    const { basic, bodyId, bodySecret } = presented;
    // RFC 6749 2.3: a client MUST NOT use more than one authentication method per request.
    if (basic !== undefined && bodySecret !== undefined) {
      throw new DomainError('validation_failed', 'Use one client authentication method: HTTP Basic or the request body.');
    }
    if (basic !== undefined) {
      const caller = this.basic(basic);
      // A client_id beside Basic must name the same client.
      if (bodyId !== undefined && (caller.kind !== 'client' || bodyId !== caller.clientId)) throw INVALID_CLIENT(false);
      return caller;
    }
    if (bodySecret === undefined) return undefined;
    if (typeof bodyId !== 'string' || typeof bodySecret !== 'string') throw INVALID_CLIENT(false);
    return this.check(bodyId, bodySecret, false);
  }

  private basic(encoded: string): Caller {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw INVALID_CLIENT();
    // RFC 6749 2.3.1: id and secret are form-urlencoded inside Basic.
    return this.check(safeDecode(decoded.slice(0, colon)), safeDecode(decoded.slice(colon + 1)));
  }

  private check(id: string, secret: string, challenge = true): Caller {
    const expected = this.clients.get(id);
    // Compare against something of equal length even for unknown ids: same work either way.
    const matches = timingSafeEqual(digest(secret), expected ?? digest(`unknown:${secret}`));
    if (!expected || !matches) throw INVALID_CLIENT(challenge);
    return { kind: 'client', clientId: id };
  }

  private async adminBearer(token: string, request: FastifyRequest): Promise<Caller> {
    const claims = await this.accessTokens.verify(token);
    if (claims.role !== 'admin') {
      this.anomalies.forbiddenAnswered({ userId: claims.sub, sessionId: claims.sid, context: contextOf(request), source: { kind: 'gatehouse' } });
      throw new DomainError('forbidden');
    }
    return {
      kind: 'admin',
      sub: claims.sub,
      stillValid: () => this.accessTokens.verify(token).then(() => true, () => false),
    };
  }
}

function credentialsOf(request: FastifyRequest): PresentedCredentials {
  const presented: PresentedCredentials = {};
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const [scheme, value] = header.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'basic') presented.basic = value ?? '';
    // The one bearer parser, shared with the access-token guard and the verifier package.
    else presented.bearer = extractBearerToken(header);
  }
  const body = request.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const { client_id: bodyId, client_secret: bodySecret } = body as Record<string, unknown>;
    presented.bodyId = bodyId;
    presented.bodySecret = bodySecret;
  }
  return presented;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
