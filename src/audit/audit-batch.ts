import type { NewAuditEvent } from './audit.repository.js';

export interface AuditBatchOptions {
  /** A batch is written this long after its first event at the latest. */
  delayMs: number;
  /** A batch this large is written at once. */
  maxBatch: number;
  /** Beyond this many waiting events (the database is slow or down), new ones are dropped. */
  maxPending: number;
  write(events: NewAuditEvent[]): Promise<void>;
  /** A batch could not be written, or events were dropped: `count` events are lost. */
  lost(count: number, reason: string): void;
}

/**
 * Routine events (a refresh, a repeat within the grace window) gathered into one multi-row
 * INSERT, off the request's own statement: one batch in flight at a time, so rows keep the order
 * they were recorded in. What is waiting when the process dies is lost; security events never
 * come through here.
 */
export class AuditBatch {
  private pending: NewAuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Recorded and not yet written: pending, plus batches queued behind the one being written. */
  private unwritten = 0;

  constructor(private readonly options: AuditBatchOptions) {}

  add(event: NewAuditEvent): void {
    if (this.unwritten >= this.options.maxPending) {
      this.options.lost(1, 'too many events waiting to be written');
      return;
    }
    this.pending.push(event);
    this.unwritten++;
    // flush() never rejects: write() reports a failed batch through lost().
    if (this.pending.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.delayMs);
  }

  /** Writes what is waiting; resolves once everything recorded so far is written (or lost). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.writing = this.writing.then(() => this.write(batch));
    }
    return this.writing;
  }

  private async write(batch: NewAuditEvent[]): Promise<void> {
    for (let start = 0; start < batch.length; start += this.options.maxBatch) {
      const chunk = batch.slice(start, start + this.options.maxBatch);
      try {
        await this.options.write(chunk);
      } catch (error) {
        this.options.lost(chunk.length, error instanceof Error ? error.message.split('\n')[0] : 'unknown error');
      } finally {
        this.unwritten -= chunk.length;
      }
    }
  }
}
