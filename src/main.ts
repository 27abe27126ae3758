// Size libuv's thread pool before anything uses it: bcrypt runs there, and a few threads must
// stay free for file and DNS work (DESIGN.md "The hot path"). scripts/start.mjs sets it too.
import './threadpool.js';
import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { PinoLogger } from './common/pino-logger.js';
import { AppConfig } from './config/app-config.js';
import { ConfigError } from './config/config.schema.js';
import { DatabaseConnection } from './database/database-connection.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = new PinoLogger(config.get('LOG_LEVEL'));
  const app = await createApp(config, logger);
  drainOnSignals(app, config, logger);
  await app.listen({ port: config.get('PORT'), host: config.get('HOST') });
  const database = app.get(DatabaseConnection);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.get('PORT');
  logger.log(`Gatehouse listening on http://${config.get('HOST') === '0.0.0.0' ? 'localhost' : config.get('HOST')}:${port}`, 'Boot');
  logger.log(`database: ${database.description}${database.embedded ? ` (data in ${config.get('DATA_DIR')})` : ''}`, 'Boot');
  logger.log(`revocation bus: ${config.get('REDIS_URL') ? 'Redis' : 'in-process (no REDIS_URL)'}`, 'Boot');
  const admin = config.get('BOOTSTRAP_ADMIN_EMAIL');
  logger.log(admin ? `bootstrap admin: ${admin.trim().toLowerCase()}` : 'no bootstrap admin configured', 'Boot');
}

/**
 * Graceful stop: stop accepting, let every request handler already started run to completion,
 * also one whose client is gone (HandlerDrain), for at most SHUTDOWN_TIMEOUT_MS; then Nest's
 * shutdown hooks settle detached work before the database and Redis close (README "Graceful shutdown").
 */
function drainOnSignals(app: Awaited<ReturnType<typeof createApp>>, config: AppConfig, logger: PinoLogger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining`, 'Shutdown');
    const fastify = app.getHttpAdapter().getInstance();
    const closed = fastify.close().catch((error: unknown) => {
      logger.warn(`HTTP server did not close cleanly: ${(error as Error).message}`, 'Shutdown');
    });
    const timeoutMs = config.get('SHUTDOWN_TIMEOUT_MS');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => (timer = setTimeout(resolve, timeoutMs, true)));
    if (await Promise.race([Promise.all([closed, fastify.handlerDrain.idle()]), timedOut]) === true) {
      const running = fastify.handlerDrain.running;
      logger.warn(`SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms) passed with ${running} request handler${running === 1 ? '' : 's'} still running: closing anyway`, 'Shutdown');
      fastify.server.closeAllConnections();
      await closed;
    }
    clearTimeout(timer);
    await app.close();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(signal));
}

main().catch((error: unknown) => {
  process.stderr.write(`Gatehouse failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
