interface Waiter {
  grant(): void;
}

export interface FairSlotsOptions {
  /** Work items running at once. */
  concurrency: number;
  /** Per caller: running + waiting beyond this is refused at once (callerBusy). */
  perCaller: number;
  /** How long a waiter waits for a slot before it is refused (overloaded). */
  timeoutMs: number;
  overloaded(): Error;
  callerBusy(): Error;
}

/**
 * A bounded pool of slots shared fairly between callers: each caller waits in its own line,
 * and a freed slot goes to the next line in turn (round robin), not to whoever queued first.
 * So a caller with 40 queued items delays a caller with one by at most one item per slot.
 */
export class FairSlots {
  private running = 0;
  /** Lines in service order: a line served moves to the back (Map keeps insertion order). */
  private readonly lines = new Map<string, Waiter[]>();
  /** Running + waiting per caller. */
  private readonly held = new Map<string, number>();
  private waitingCount = 0;

  constructor(private readonly options: FairSlotsOptions) {}

  get waiting(): number {
    return this.waitingCount;
  }

  async run<T>(caller: string, work: () => Promise<T>): Promise<T> {
    await this.acquire(caller);
    try {
      return await work();
    } finally {
      this.release(caller);
    }
  }

  private acquire(caller: string): Promise<void> {
    const held = this.held.get(caller) ?? 0;
    if (held >= this.options.perCaller) return Promise.reject(this.options.callerBusy());
    this.held.set(caller, held + 1);
    if (this.running < this.options.concurrency && this.waitingCount === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          this.running++;
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.remove(caller, waiter);
        this.drop(caller);
        reject(this.options.overloaded());
      }, this.options.timeoutMs);
      const line = this.lines.get(caller);
      if (line) line.push(waiter);
      else this.lines.set(caller, [waiter]);
      this.waitingCount++;
    });
  }

  private release(caller: string): void {
    this.running--;
    this.drop(caller);
    // The caller was just served: its line (if it queued more meanwhile) waits behind the others.
    const line = this.lines.get(caller);
    if (line) {
      this.lines.delete(caller);
      this.lines.set(caller, line);
    }
    this.grantNext();
  }

  private grantNext(): void {
    while (this.running < this.options.concurrency) {
      const next = this.lines.entries().next();
      if (next.done) return;
      const [caller, line] = next.value;
      const waiter = line.shift()!;
      this.lines.delete(caller);
      // Served: this caller's line (if anything is left in it) goes to the back.
      if (line.length > 0) this.lines.set(caller, line);
      this.waitingCount--;
      waiter.grant();
    }
  }

  private remove(caller: string, waiter: Waiter): void {
    const line = this.lines.get(caller);
    const index = line?.indexOf(waiter) ?? -1;
    if (!line || index < 0) return;
    line.splice(index, 1);
    this.waitingCount--;
    if (line.length === 0) this.lines.delete(caller);
  }

  private drop(caller: string): void {
    const held = (this.held.get(caller) ?? 1) - 1;
    if (held <= 0) this.held.delete(caller);
    else this.held.set(caller, held);
  }
}
