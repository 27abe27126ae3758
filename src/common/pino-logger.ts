import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger } from 'pino';

const NEST_INTERNALS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

let stampedAt = -1;
let stamp = '';

/**
 * pino's isoTime, formatted once per millisecond: with an access log line per request, most
 * lines of a busy second share their millisecond, and toISOString() was a tenth of the line.
 */
function isoTime(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

/**
 * Nest's logger interface over pino: one JSON line per event. Secrets never reach it: services
 * log ids and reasons, never request bodies, tokens or hashes.
 */
export class PinoLogger implements LoggerService {
  readonly pino: Logger;

  /** `destination` defaults to stdout (tests pass a stream to read the lines back). */
  constructor(level: string, destination?: DestinationStream) {
    const options = { level, base: { service: 'gatehouse' }, timestamp: isoTime };
    this.pino = destination ? pino(options, destination) : pino(options);
  }

  log(message: unknown, context?: string): void {
    // Nest's own start-up chatter (one line per module and route) is debug detail.
    if (context && NEST_INTERNALS.has(context)) this.pino.debug({ context }, String(message));
    else this.pino.info({ context }, String(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ context, trace }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.pino.fatal({ context }, String(message));
  }
}
