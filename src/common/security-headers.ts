import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * One Content-Security-Policy for every response. API answers are JSON and never rendered, so
 * the policy matters for HTML: Swagger UI at /docs and any UI served from this origin. Scripts
 * only from this origin, never inline; styles may be inline because Swagger UI (React) sets
 * style attributes at run time and its page carries two <style> blocks; images may be data:
 * URIs (Swagger UI's icons). Nothing may frame Gatehouse (clickjacking on a login form).
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

/**
 * Issue 8 #12 (API.md "Web UI"): helmet's headers on every response (nosniff, CSP,
 * X-Frame-Options DENY, HSTS, Referrer-Policy no-referrer, ...), and `Cache-Control: no-store`
 * on every response that did not choose its own caching (public key material does: the JWKS and
 * the RFC 8414 metadata). Registered before any other onRequest hook, so that responses those
 * hooks send early (CORS refusals, 405) carry the headers too.
 */
export async function registerSecurityHeaders(app: NestFastifyApplication): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.getHttpAdapter().getInstance().addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
