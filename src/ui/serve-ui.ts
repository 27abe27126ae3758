import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { UI_FEATURES, UI_ROUTES, type UiFeature } from './ui-routes.js';

// src/ui and dist/ui are both two levels below the project root, where `npm run build` puts
// the built UI (dist/public) and the browser client (dist/client).
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
export const UI_DIR = path.join(DIST, 'public');
export const CLIENT_FILE = path.join(DIST, 'client', 'gatehouse-client.js');

/**
 * The UI's policy: scripts, styles and API calls from this origin only, no inline script or
 * style, never framed (clickjacking), no plugins, no <base> rewriting, forms post here only.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const FEATURES_PLACEHOLDER = '<meta name="gatehouse-features" content="">';

/**
 * Serves the browser client (always: SPAs on other origins load it) and, with UI_ENABLED, the
 * UI: hashed assets under /assets/ (cached for good) and index.html on each UI route.
 */
export async function registerUi(app: NestFastifyApplication, config: AppConfig, logger: LoggerService | false): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const client = existsSync(CLIENT_FILE) ? readFileSync(CLIENT_FILE, 'utf8') : undefined;
  fastify.get('/client/gatehouse-client.js', async (_request, reply) => {
    if (!client) return notBuilt(reply);
    // Public code any page may load as a module (CORS mode, no credentials); the API behind it
    // still answers only CORS_ORIGINS. Not content-hashed: cached briefly, so a deploy reaches SPAs soon.
    if (!reply.hasHeader('access-control-allow-origin')) reply.header('access-control-allow-origin', '*');
    return reply
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .type('text/javascript; charset=utf-8')
      .send(client);
  });
  if (!config.get('UI_ENABLED')) return;

  const built = existsSync(path.join(UI_DIR, 'index.html'));
  if (!built && logger) logger.warn('the web UI is not built (npm run build); its pages answer 503', 'UI');
  if (existsSync(path.join(UI_DIR, 'assets'))) {
    await app.register(fastifyStatic, {
      root: path.join(UI_DIR, 'assets'),
      prefix: '/assets/',
      maxAge: '365d',
      immutable: true,
      dotfiles: 'ignore',
      index: false,
      decorateReply: false,
    });
  }

  let page: string | undefined;
  const indexPage = () => {
    // Read once, after every module registered its routes: the meta tag names what exists.
    page ??= readFileSync(path.join(UI_DIR, 'index.html'), 'utf8').replace(
      FEATURES_PLACEHOLDER,
      `<meta name="gatehouse-features" content="${availableFeatures(app).join(' ')}">`,
    );
    return page;
  };
  for (const url of new Set(Object.values(UI_ROUTES))) {
    fastify.get(url, async (_request, reply) => {
      if (!built) return notBuilt(reply);
      return reply
        .header('content-security-policy', UI_CONTENT_SECURITY_POLICY)
        .header('cache-control', 'no-cache')
        // Reset and verification links carry their token in the query: never leak it onward.
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        .type('text/html; charset=utf-8')
        .send(indexPage());
    });
  }
}

export function availableFeatures(app: NestFastifyApplication): UiFeature[] {
  const fastify = app.getHttpAdapter().getInstance();
  return (Object.keys(UI_FEATURES) as UiFeature[]).filter((name) => fastify.hasRoute(UI_FEATURES[name]));
}

function notBuilt(reply: FastifyReply) {
  return reply.code(503).header('cache-control', 'no-store').send({
    statusCode: 503,
    code: 'service_unavailable',
    message: 'The web UI and browser client are not built: run npm run build.',
  });
}
