import { afterEach, beforeEach, vi } from 'vitest';
import { FakeGatehouse } from './fake-gatehouse.js';
import { createVerifier, type GatehouseVerifier } from '../verifier.js';
import type { VerifierOptions } from '../verifier.options.js';

export interface FakeGatehouseFixture {
  /** A fresh fake Gatehouse for each test. */
  readonly gatehouse: FakeGatehouse;
  /** A verifier against it, closed after the test. */
  readonly newVerifier: (overrides?: Partial<VerifierOptions>) => GatehouseVerifier;
  /** The same, once ready (JWKS loaded, feed live). */
  readonly startVerifier: (overrides?: Partial<VerifierOptions>) => Promise<GatehouseVerifier>;
}

/** Verifier specs: a fake Gatehouse per test and every verifier closed afterwards. */
export function useFakeGatehouse(): FakeGatehouseFixture {
  let gatehouse: FakeGatehouse | undefined;
  const verifiers: GatehouseVerifier[] = [];
  beforeEach(async () => {
    gatehouse = await FakeGatehouse.start();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
    await gatehouse?.close();
  });
  const fixture: FakeGatehouseFixture = {
    get gatehouse() {
      if (!gatehouse) throw new Error('the fake Gatehouse starts in beforeEach');
      return gatehouse;
    },
    newVerifier: (overrides = {}) => {
      const verifier = createVerifier(fixture.gatehouse.verifierOptions(overrides));
      verifiers.push(verifier);
      return verifier;
    },
    startVerifier: async (overrides = {}) => {
      const verifier = fixture.newVerifier(overrides);
      await verifier.ready();
      return verifier;
    },
  };
  return fixture;
}
