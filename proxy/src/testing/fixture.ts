/**
 * Per-file test fixture for integration tests: one test CA for the file, and a cleanup list run
 * after each test (in reverse order) so servers and proxies close even when a test fails.
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { createTestCa, type TestCa } from './certs';

export interface Fixture {
  readonly ca: TestCa;
  /** Registers cleanups, run after the current test. */
  defer(...fns: (() => Promise<void> | void)[]): void;
}

export function useFixture(): Fixture {
  let ca: TestCa | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(() => {
    ca = createTestCa();
  });
  afterAll(() => ca?.dispose());
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    get ca(): TestCa {
      if (!ca) throw new Error('fixture CA used outside a test');
      return ca;
    },
    defer: (...fns) => cleanups.push(...fns),
  };
}
