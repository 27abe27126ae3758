import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * One Content-Security-Policy for every response. API answers are JSON and never rendered, so
 * the policy matters for HTML: Swagger UI at /docs and any UI served from this origin (the UI's
 * own pages replace it with a stricter one, see ui/serve-ui.ts). Scripts only from this origin,
 * never inline; styles may be inline because Swagger UI (React) sets style attributes at run
 * time and its page carries two <style> blocks; images may be data: URIs (Swagger UI's icons).
 * Nothing may frame Gatehouse (clickjacking on a login form).
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
};

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
};

/**
 * The headers helmet sets for `options`, worked out once. Every one of ours is a constant (no
 * nonce, no directive computed per request), so running helmet per request, as @fastify/helmet
 * does, only re-parsed the same CSP on every response (issue 10: a sixth of /health/live's CPU).
 * Headers helmet removes (X-Powered-By) are never set by Fastify, so there is nothing to remove.
 */
export function helmetHeaders(options: HelmetOptions): ReadonlyArray<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => void headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  let finished = false;
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
    finished = true;
  });
  if (failure) throw new Error('helmet refused the security header options', { cause: failure });
  // helmet calls back synchronously for static options; anything else would be a per-request header.
  if (!finished) throw new Error('helmet did not finish synchronously: a header depends on the request');
  return headers;
}

/**
 * Issue 8 #12 (API.md "Web UI"): helmet's headers on every response (nosniff, CSP,
 * X-Frame-Options DENY, HSTS, Referrer-Policy no-referrer, ...), and `Cache-Control: no-store`
 * on every response that did not choose its own caching (public key material does: the JWKS and
 * the RFC 8414 metadata). Registered before any other onRequest hook, so that responses those
 * hooks send early (CORS refusals, 405) carry the headers too. They go on the raw response, as
 * helmet put them, so streams that write their own head (the SSE revocation feed) keep them.
 */
export function registerSecurityHeaders(app: NestFastifyApplication): void {
  const headers = helmetHeaders(HELMET_OPTIONS);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (_request, reply, done) => {
    const raw = reply.raw;
    for (const [name, value] of headers) raw.setHeader(name, value);
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
