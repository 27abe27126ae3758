import { describe, expect, it } from 'vitest';
import { FairSlots } from './fair-slots.js';

class Overloaded extends Error {}
class CallerBusy extends Error {}

function slots(options: Partial<{ concurrency: number; perCaller: number; timeoutMs: number }> = {}): FairSlots {
  return new FairSlots({
    concurrency: 1,
    perCaller: 100,
    timeoutMs: 10_000,
    overloaded: () => new Overloaded(),
    callerBusy: () => new CallerBusy(),
    ...options,
  });
}

/** Work that finishes when told to, recording the order in which work started. */
function gate(order: string[], name: string): { work: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return {
    work: () => {
      order.push(name);
      return done;
    },
    open: () => open(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FairSlots', () => {
  it('serves callers in turn: a caller with many queued items delays another by at most one', async () => {
    const sut = slots();
    const order: string[] = [];
    const gates = new Map<string, { open: () => void }>();
    const runs: Array<Promise<void>> = [];
    const submit = (caller: string, name: string) => {
      const g = gate(order, name);
      gates.set(name, g);
      runs.push(sut.run(caller, g.work));
    };
    for (let i = 1; i <= 5; i++) submit('flooder', `f${i}`);
    submit('alice', 'a1');
    submit('bob', 'b1');
    submit('alice', 'a2');
    // Run to completion one at a time, in whatever order the slots grant.
    for (let step = 0; step < 8; step++) {
      await tick();
      gates.get(order[order.length - 1])!.open();
      await tick();
    }
    await Promise.all(runs);
    // f1 was running; then the lines are served round robin, not first come first served.
    expect(order).toEqual(['f1', 'a1', 'b1', 'f2', 'a2', 'f3', 'f4', 'f5']);
  });

  it('refuses a caller beyond its share of running + waiting at once, others still get in', async () => {
    const sut = slots({ perCaller: 2 });
    const order: string[] = [];
    const first = gate(order, 'f1');
    const running = sut.run('flooder', first.work);
    const queued = sut.run('flooder', () => Promise.resolve());
    await expect(sut.run('flooder', () => Promise.resolve())).rejects.toBeInstanceOf(CallerBusy);
    const other = sut.run('alice', () => Promise.resolve('alice ran'));
    expect(sut.waiting).toBe(2);
    first.open();
    await expect(other).resolves.toBe('alice ran');
    await Promise.all([running, queued]);
    // Its share is free again.
    await expect(sut.run('flooder', () => Promise.resolve('again'))).resolves.toBe('again');
  });

  it('a waiter past the timeout is refused and leaves the line; its caller share is freed', async () => {
    const sut = slots({ perCaller: 2, timeoutMs: 20 });
    const order: string[] = [];
    const first = gate(order, 'x');
    const running = sut.run('a', first.work);
    await expect(sut.run('b', () => Promise.resolve())).rejects.toBeInstanceOf(Overloaded);
    expect(sut.waiting).toBe(0);
    first.open();
    await running;
    await expect(Promise.all([sut.run('b', () => Promise.resolve(1)), sut.run('b', () => Promise.resolve(2))])).resolves.toEqual([1, 2]);
  });

  it('a failing work item frees its slot', async () => {
    const sut = slots();
    await expect(sut.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sut.run('a', () => Promise.resolve('next'))).resolves.toBe('next');
  });
});
