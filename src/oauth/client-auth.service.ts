import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';
import { AccessTokenService } from '../tokens/access-token.service.js';

export type Caller =
  | { kind: 'client'; clientId: string }
  /** `stillValid` re-checks the admin's bearer (revocation, expiry) for long-lived streams. */
  | { kind: 'admin'; sub: string; stillValid: () => Promise<boolean> };

const INVALID_CLIENT = () =>
  new DomainError('invalid_client', 'Client authentication failed.', {
    headers: { 'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"' },
  });

/**
 * Authenticates resource servers for introspection and the revocation feed: HTTP Basic with a
 * client from INTROSPECTION_CLIENTS (secrets compared in constant time), or an admin bearer.
 */
@Injectable()
export class ClientAuth {
  private readonly clients: Map<string, Buffer>;

  constructor(
    config: AppConfig,
    private readonly accessTokens: AccessTokenService,
  ) {
    this.clients = new Map([...config.get('INTROSPECTION_CLIENTS')].map(([id, secret]) => [id, digest(secret)]));
  }

  async authenticate(request: FastifyRequest): Promise<Caller> {
    const header = request.headers.authorization;
    if (typeof header !== 'string') throw INVALID_CLIENT();
    const [scheme, value] = header.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'basic' && value) return this.basic(value);
    if (scheme?.toLowerCase() === 'bearer' && value) {
      const claims = await this.accessTokens.verify(value);
      if (claims.role !== 'admin') throw new DomainError('forbidden');
      const token = value;
      return {
        kind: 'admin',
        sub: claims.sub,
        stillValid: () => this.accessTokens.verify(token).then(() => true, () => false),
      };
    }
    throw INVALID_CLIENT();
  }

  private basic(encoded: string): Caller {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw INVALID_CLIENT();
    // RFC 6749 2.3.1: id and secret are form-urlencoded inside Basic.
    const id = safeDecode(decoded.slice(0, colon));
    const secret = safeDecode(decoded.slice(colon + 1));
    const expected = this.clients.get(id);
    // Compare against something of equal length even for unknown ids: same work either way.
    const matches = timingSafeEqual(digest(secret), expected ?? digest(`unknown:${secret}`));
    if (!expected || !matches) throw INVALID_CLIENT();
    return { kind: 'client', clientId: id };
  }
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
