import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs once at a time, and once more after a run that calls arrived during', async () => {
    const gates: Array<ReturnType<typeof deferred>> = [];
    let runs = 0;
    let hold = true;
    const sut = new SingleFlight(() => {
      runs++;
      const gate = deferred();
      gates.push(gate);
      if (!hold) gate.resolve();
      return gate.promise;
    });
    const first = sut.run();
    const second = sut.run();
    const third = sut.run();
    expect(runs).toBe(1);
    expect(second).toBe(first);
    expect(third).toBe(first);
    gates[0].resolve();
    await new Promise((resolve) => setImmediate(resolve));
    // The calls made mid-run are owed one run that starts after them; exactly one.
    expect(runs).toBe(2);
    let settled = false;
    void first.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    gates[1].resolve();
    await first;
    expect(runs).toBe(2);
    hold = false;
    await sut.run();
    expect(runs).toBe(3);
  });

  it('rejects with the error of a failed run and is usable again afterwards', async () => {
    let fail = true;
    const sut = new SingleFlight(async () => {
      if (fail) throw new Error('database down');
    });
    await expect(sut.run()).rejects.toThrow('database down');
    await expect(sut.idle).resolves.toBeUndefined();
    fail = false;
    await expect(sut.run()).resolves.toBeUndefined();
  });
});
