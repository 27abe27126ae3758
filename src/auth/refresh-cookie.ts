import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/domain-error.js';

export const REFRESH_COOKIE = 'gatehouse_refresh';
const COOKIE_PATH = '/auth';

export type RefreshSource = { token: string; fromCookie: boolean } | undefined;

/**
 * SPA mode (API.md): with `X-Auth-Mode: cookie` the refresh token travels only in an
 * HttpOnly; Secure; SameSite=Strict cookie scoped to /auth. A request authenticated by that
 * cookie must prove it comes from our SPA: an allowed Origin (one of CORS_ORIGINS, or Gatehouse's
 * own configured public origin) and `X-Requested-With: gatehouse`.
 */
@Injectable()
export class RefreshCookie {
  private readonly secure: boolean;
  private readonly allowedOrigins: Set<string>;

  constructor(config: AppConfig) {
    this.secure = config.get('COOKIE_SECURE');
    // Gatehouse's own UI talks to it from its public origin, which needs no CORS_ORIGINS entry.
    const own = config.publicOrigin;
    this.allowedOrigins = new Set([...config.get('CORS_ORIGINS'), ...(own ? [own] : [])]);
  }

  wantsCookie(request: FastifyRequest): boolean {
    const mode = request.headers['x-auth-mode'];
    return typeof mode === 'string' && mode.trim().toLowerCase() === 'cookie';
  }

  present(request: FastifyRequest): boolean {
    return Boolean(request.cookies?.[REFRESH_COOKIE]);
  }

  /** The refresh token from the body, else from the cookie (then the CSRF proof is required). */
  read(request: FastifyRequest, bodyToken: string | undefined): RefreshSource {
    if (bodyToken) return { token: bodyToken, fromCookie: false };
    const cookie = request.cookies?.[REFRESH_COOKIE];
    if (!cookie) return undefined;
    this.assertCsrfProof(request);
    return { token: cookie, fromCookie: true };
  }

  set(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
    reply.setCookie(REFRESH_COOKIE, token, {
      httpOnly: true,
      secure: this.secure,
      sameSite: 'strict',
      path: COOKIE_PATH,
      maxAge: maxAgeSeconds,
    });
  }

  clear(reply: FastifyReply): void {
    reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, secure: this.secure, sameSite: 'strict', path: COOKIE_PATH });
  }

  private assertCsrfProof(request: FastifyRequest): void {
    const origin = request.headers.origin;
    const requestedWith = request.headers['x-requested-with'];
    const originAllowed = typeof origin === 'string' && this.allowedOrigins.has(origin);
    const headerPresent = typeof requestedWith === 'string' && requestedWith.trim().toLowerCase() === 'gatehouse';
    if (!originAllowed || !headerPresent) throw new DomainError('csrf_rejected');
  }
}
