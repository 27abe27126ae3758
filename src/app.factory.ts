import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { registerAccessLog, requestId } from './common/access-log.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { JSON_BODY_LIMIT_BYTES, registerBodyParsers } from './common/body-parsers.js';
import { DomainError } from './common/domain-error.js';
import { HandlerDrain } from './common/handler-drain.js';
import { answerMethodNotAllowed, clientErrorHandler, frameworkErrors, refuseBadPreflights } from './common/framework-errors.js';
import { registerSecurityHeaders } from './common/security-headers.js';
import { PinoLogger } from './common/pino-logger.js';
import { createValidationPipe } from './common/validation.js';
import { toFastifyTrustProxy } from './config/trust-proxy.js';
import { httpTimeouts } from './common/http-timeouts.js';
import { MetricsService } from './metrics/metrics.service.js';
import { RevocationFeed } from './oauth/revocation-feed.service.js';
import { registerUi } from './ui/serve-ui.js';
import type { AppConfig } from './config/app-config.js';
import type { Clock } from './common/clock.js';

const FORM_ROUTES = new Set(['/oauth/revoke', '/oauth/introspect']);

/**
 * Builds a ready-to-listen Gatehouse app. main.ts and the test suites share it, so what is
 * tested is what runs.
 */
export async function createApp(
  config: AppConfig,
  logger: LoggerService | false = false,
  options: { clock?: Clock } = {},
): Promise<NestFastifyApplication> {
  // Request lines go through the same pino as everything else; without one (tests) there is none.
  const accessLog = config.get('ACCESS_LOG') && logger instanceof PinoLogger ? logger.pino : undefined;
  const adapter = new FastifyAdapter({
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    trustProxy: toFastifyTrustProxy(config.get('TRUST_PROXY')),
    // Nest logs through the logger below; Fastify's own request log stays off on the hot path.
    logger: false,
    // On close, idle keep-alive sockets go at once; in-flight requests finish first (and their
    // handlers, also when the client is gone: HandlerDrain).
    forceCloseConnections: 'idle',
    // Router and HTTP-parser errors in API.md's shape, never echoing the URL (issue 8 #8).
    frameworkErrors,
    clientErrorHandler,
    ...httpTimeouts(config),
    ...(accessLog ? { genReqId: requestId } : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options.clock), adapter, {
    logger,
    bufferLogs: false,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // A graceful stop waits for handlers, not only connections (main.ts drainOnSignals).
  HandlerDrain.register(fastify);
  registerSecurityHeaders(app);
  registerBodyParsers(app);
  // JSON only: Fastify's built-in text/plain parser would hand validation a bare string.
  fastify.removeContentTypeParser('text/plain');
  answerMethodNotAllowed(fastify);
  refuseBadPreflights(fastify, config.get('CORS_ORIGINS'));
  await app.register(fastifyCookie);
  await app.register(fastifyCors, {
    origin: config.get('CORS_ORIGINS'),
    credentials: true,
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Auth-Mode', 'X-Requested-With', 'Last-Event-ID'],
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    maxAge: 600,
  });
  await registerUi(app, config, logger);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());

  // Public API documentation only where wanted: DOCS_ENABLED, default off in production (issue 8 #11).
  if (config.docsEnabled) setUpDocs(app);

  // JSON in and out (API.md); only the two RFC endpoints also take form bodies, as their RFCs require.
  // Hooks every request runs are callback hooks: an async one costs a promise per request.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const type = request.headers['content-type'];
    if (typeof type === 'string' && type.toLowerCase().startsWith('application/x-www-form-urlencoded') && !FORM_ROUTES.has(request.routeOptions.url ?? '')) {
      return done(new DomainError('unsupported_media_type'));
    }
    done();
  });

  if (accessLog) registerAccessLog(fastify, accessLog);

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  // Long-lived SSE streams end before the server waits for in-flight requests.
  const feed = app.get(RevocationFeed);
  fastify.addHook('preClose', async () => feed.closeAll());

  await app.init();
  await fastify.ready();
  return app;
}

function setUpDocs(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse')
      .setDescription('Auth server whose revoked tokens stop working at once.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
