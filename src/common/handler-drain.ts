import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The request handlers in flight (registered by createApp; main.ts waits for them). */
    handlerDrain: HandlerDrain;
  }
  interface FastifyRequest {
    /** While this request's handler runs: the reply it will answer on (HandlerDrain). */
    runningHandler: FastifyReply | null;
  }
}

/**
 * Request handlers in flight, so that a graceful stop waits for them and not only for their
 * connections: a client that gave up (a load tool at the end of its run) closes its socket, the
 * HTTP server is then done with it, but its handler still runs statements and must not find the
 * pool closed under it.
 *
 * A handler counts from `preHandler` until it answers (`onSend`: Nest sends every answer, error
 * or not, also to a client that is gone) or, for a stream that never goes through send (the SSE
 * feed), until the stream ends (`onResponse`) or its client leaves once its headers are out
 * (`onRequestAbort`). Callback hooks and one request property: no promise or closure per request.
 */
export class HandlerDrain {
  private count = 0;
  private whenIdle: (() => void) | undefined;

  static register(fastify: FastifyInstance): HandlerDrain {
    const drain = new HandlerDrain();
    fastify.decorate('handlerDrain', drain);
    fastify.decorateRequest('runningHandler', null);
    fastify.addHook('preHandler', (request, reply, done) => {
      request.runningHandler = reply;
      drain.count++;
      done();
    });
    fastify.addHook('onSend', (request, _reply, payload, done) => {
      drain.finished(request);
      done(null, payload);
    });
    fastify.addHook('onResponse', (request, _reply, done) => {
      drain.finished(request);
      done();
    });
    fastify.addHook('onRequestAbort', (request, done) => {
      // Before its headers are out, the handler is still working on its answer: onSend follows.
      if (request.runningHandler?.raw.headersSent) drain.finished(request);
      done();
    });
    return drain;
  }

  /** Handlers running now. */
  get running(): number {
    return this.count;
  }

  /** Resolves once no handler runs (shutdown only: the one promise is made here). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.whenIdle;
      this.whenIdle = () => {
        previous?.();
        resolve();
      };
    });
  }

  private finished(request: FastifyRequest): void {
    if (request.runningHandler === null) return;
    request.runningHandler = null;
    if (--this.count > 0 || !this.whenIdle) return;
    const resolve = this.whenIdle;
    this.whenIdle = undefined;
    resolve();
  }
}
