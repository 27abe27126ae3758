import net from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Listens on 127.0.0.1 on a free port and returns the base URL (for fetch and raw sockets). */
export async function listenLocally(app: NestFastifyApplication): Promise<{ baseUrl: string; port: number }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address !== 'object') throw new Error('server has no address');
  return { baseUrl: `http://127.0.0.1:${address.port}`, port: address.port };
}

export interface RawExchange {
  /** Everything the server wrote before it closed the connection (or before the wait ended). */
  response: string;
  /** True when the server closed the connection within the wait. */
  closed: boolean;
  elapsedMs: number;
}

/**
 * Writes `request` verbatim on a raw TCP socket and collects what comes back until the server
 * closes the connection or `waitMs` passes (for requests no HTTP client would send).
 */
export function rawRequest(port: number, request: string | Buffer, waitMs = 5000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response: Buffer.concat(chunks).toString('utf8'), closed, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(error);
      }
    });
  });
}

/** The JSON body of a raw HTTP/1.1 response (after the blank line), or undefined. */
export function rawBody(response: string): unknown {
  const start = response.indexOf('\r\n\r\n');
  if (start < 0) return undefined;
  const text = response.slice(start + 4);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
