import type { Logger } from '@nestjs/common';

/**
 * Work that must never hold up the request that caused it (anomaly detection): started at once,
 * at most `limit` at a time, dropped (and counted) beyond that, its failures logged as one line
 * without stack or arguments. A flood of 403s therefore costs bounded memory and connections.
 */
export class DetachedWork {
  private readonly inFlight = new Set<Promise<void>>();
  private lastWarnAt = 0;
  /** Since boot: work dropped because `limit` was reached. */
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly logger: Logger,
  ) {}

  run(what: string, work: () => Promise<unknown>): void {
    if (this.inFlight.size >= this.limit) {
      this.dropped++;
      this.warn(`${what}: dropped, ${this.limit} detections already running`);
      return;
    }
    const running: Promise<void> = work()
      .then(
        () => undefined,
        (error: unknown) => this.warn(`${what} failed: ${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'}`),
      )
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  /** Waits for whatever is running (shutdown: nothing writes after the pool closes). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = Date.now();
    this.logger.warn(message);
  }
}
