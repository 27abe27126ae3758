/**
 * A background loop for work that lives in the database (the mail outbox, password-reset
 * requests): runs `work` every `intervalMs`, at once when nudged (after a commit on this
 * instance), never twice at the same time, and stops cleanly: stop() clears the timer and waits
 * for the round in flight, so nothing runs against a closed database pool.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  get isStopping(): boolean {
    return this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something new was committed: run soon rather than at the next interval. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), delayMs);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    this.again = false;
    this.running = this.work().catch((error: unknown) => this.onError(error));
    await this.running;
    this.running = undefined;
    if (!this.stopped) this.schedule(this.again ? 0 : this.intervalMs);
  }
}
