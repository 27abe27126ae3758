import { describe, expect, it } from 'vitest';
import { AuditBatch, type AuditBatchOptions } from './audit-batch.js';
import type { NewAuditEvent } from './audit.repository.js';

const event = (n: number): NewAuditEvent => ({ type: 'token_refreshed', sessionId: `s${n}` });
const ids = (events: NewAuditEvent[]) => events.map((e) => e.sessionId);

function batch(options: Partial<AuditBatchOptions> = {}) {
  const written: NewAuditEvent[][] = [];
  const lost: Array<{ count: number; reason: string }> = [];
  const sut = new AuditBatch({
    delayMs: 10_000,
    maxBatch: 3,
    maxPending: 100,
    write: async (events) => void written.push(events),
    lost: (count, reason) => void lost.push({ count, reason }),
    ...options,
  });
  return { sut, written, lost };
}

describe('AuditBatch', () => {
  it('writes nothing until the delay, the batch size or a flush, then everything in order', async () => {
    const { sut, written } = batch();
    sut.add(event(1));
    sut.add(event(2));
    expect(written).toEqual([]);
    sut.add(event(3)); // the third fills a batch: written at once
    sut.add(event(4));
    await sut.flush();
    expect(written.map(ids)).toEqual([['s1', 's2', 's3'], ['s4']]);
  });

  it('writes a partial batch once the delay has passed', async () => {
    const { sut, written } = batch({ delayMs: 5 });
    sut.add(event(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written.map(ids)).toEqual([['s1']]);
  });

  it('one batch at a time: a slow write holds the next back, so rows keep their order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const { sut } = batch({
      maxBatch: 1,
      write: async (events) => {
        if (events[0].sessionId === 's1') await gate;
        order.push(events[0].sessionId!);
      },
    });
    sut.add(event(1));
    sut.add(event(2));
    const flushed = sut.flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    release();
    await flushed;
    expect(order).toEqual(['s1', 's2']);
  });

  it('a failed write loses that batch (reported), and later batches still go out', async () => {
    const { sut, written, lost } = batch({
      write: async (events) => {
        if (events[0].sessionId === 's1') throw new Error('database down\nstack line');
        written.push(events);
      },
    });
    for (let n = 1; n <= 4; n++) sut.add(event(n));
    await sut.flush();
    expect(lost).toEqual([{ count: 3, reason: 'database down' }]);
    expect(written.map(ids)).toEqual([['s4']]);
  });

  it('beyond maxPending unwritten events, new ones are dropped and reported, not queued', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { sut, written, lost } = batch({ maxBatch: 2, maxPending: 4, write: async (events) => { await gate; written.push(events); } });
    for (let n = 1; n <= 6; n++) sut.add(event(n));
    expect(lost).toEqual([
      { count: 1, reason: 'too many events waiting to be written' },
      { count: 1, reason: 'too many events waiting to be written' },
    ]);
    release();
    await sut.flush();
    expect(written.map(ids)).toEqual([['s1', 's2'], ['s3', 's4']]);
    sut.add(event(7)); // room again once written
    await sut.flush();
    expect(written.map(ids).at(-1)).toEqual(['s7']);
  });
});
