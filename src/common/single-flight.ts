/**
 * Runs an async refresh (re-read the keys, catch up on revocations) at most once at a time.
 * A call made while a run is in flight does not start a second one; it marks that one more run
 * is due and shares the in-flight promise, which resolves only after that extra run: the run
 * already under way may have read the database before the change the caller was told about.
 * So however many calls arrive during a run, at most one more run follows it.
 */
export class SingleFlight {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly work: () => Promise<void>) {}

  /** Resolves once a run that started after this call has finished; rejects with its error. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The run in flight, if any (shutdown waits for it). */
  get idle(): Promise<void> {
    return this.running?.catch(() => undefined) ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.work();
    } while (this.again);
  }
}
