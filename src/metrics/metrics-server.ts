import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ERROR_CODES, type ErrorCode } from '../common/error-codes.js';
import { bearerMatches } from './metrics-access.guard.js';
import { MetricsService } from './metrics.service.js';

/**
 * METRICS_PORT: GET /metrics on a listener of its own (METRICS_HOST, default 127.0.0.1), so that
 * scrapers reach it on a private interface and the public API port never serves it. METRICS_TOKEN,
 * when also set, is required here too. Also logs, at boot, when production leaves metrics off.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const exposure = this.config.metricsExposure;
    if (exposure === 'off') this.logger.warn('GET /metrics is off: production needs METRICS_TOKEN or METRICS_PORT to expose it');
    if (exposure !== 'own-port') return;
    const server = createServer((request, response) => void this.handle(request, response));
    // Same limits as the API port: a scraper gets 10 s to send its request.
    server.requestTimeout = server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.get('METRICS_PORT'), this.config.get('METRICS_HOST'), () => resolve());
    });
    this.server = server;
    const { address, port } = server.address() as AddressInfo;
    this.logger.log(`metrics on http://${address}:${port}/metrics`);
  }

  /** Where the metrics listener is bound (tests use METRICS_PORT=0). */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('cache-control', 'no-store');
    if ((request.url ?? '').split('?', 1)[0] !== '/metrics') return this.fail(response, 'not_found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return this.fail(response, 'method_not_allowed', { allow: 'GET, HEAD' });
    const token = this.config.get('METRICS_TOKEN');
    if (token && !bearerMatches(request.headers.authorization, token)) {
      return this.fail(response, 'invalid_token', { 'www-authenticate': 'Bearer realm="metrics"' });
    }
    try {
      const text = await this.metrics.registry.metrics();
      response.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      response.end(request.method === 'HEAD' ? undefined : text);
    } catch (error) {
      this.logger.error(`metrics collection failed: ${(error as Error).message}`);
      this.fail(response, 'internal_error');
    }
  }

  private fail(response: ServerResponse, code: ErrorCode, headers: Record<string, string> = {}): void {
    const { status, message } = ERROR_CODES[code];
    response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ statusCode: status, code, message }));
  }
}
