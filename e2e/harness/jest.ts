/**
 * Jest wiring for a harness mesh: creates it in beforeAll, prints the tail of every process log
 * after a failed test, and tears everything down in afterAll — also when a test or the setup
 * failed. With SKEIN_HARNESS_KEEP=1 a failed run keeps its namespaces, processes and files for
 * debugging; the next run's sweeper removes them.
 */
import { Mesh, type MeshOptions } from './mesh';

/** Finds jest-circus's state (the symbol is private) to tell whether the current test failed. */
export function currentTestFailed(): boolean | undefined {
  const sym = Object.getOwnPropertySymbols(globalThis).find((s) => s.description === 'JEST_STATE_SYMBOL');
  const state = sym ? (globalThis as unknown as Record<symbol, { currentlyRunningTest?: { errors: unknown[] } | null }>)[sym] : undefined;
  const test = state?.currentlyRunningTest;
  return test ? test.errors.length > 0 : undefined;
}

export interface UseMeshOptions extends MeshOptions {
  /** Runs after the mesh is created (add pods, start apps); part of beforeAll. */
  setup?: (mesh: Mesh) => Promise<void>;
  /** beforeAll timeout (default 60 s). */
  setupTimeoutMs?: number;
  /** Timeout of each test in the file (default 30 s; jest's own default of 5 s is short for a mesh). */
  testTimeoutMs?: number;
}

/**
 * Registers beforeAll/afterEach/afterAll and returns a getter for the mesh:
 *
 *   const mesh = useMesh({ setup: async (m) => { … } });
 *   it('…', async () => { const pod = mesh().pod('default', 'web'); … });
 */
export function useMesh(options: UseMeshOptions = {}): () => Mesh {
  let mesh: Mesh | undefined;
  let failed = false;
  const keep = process.env.SKEIN_HARNESS_KEEP === '1';
  jest.setTimeout(options.testTimeoutMs ?? 30_000);

  const report = async (why: string) => {
    if (!mesh) return;
    console.error(`${why}\nharness run ${mesh.run}, files in ${mesh.dir}\n${await mesh.logTails()}`);
  };

  beforeAll(async () => {
    mesh = await Mesh.create(options);
    try {
      await options.setup?.(mesh);
    } catch (e) {
      failed = true;
      await report(`mesh setup failed: ${(e as Error).message}`);
      throw e;
    }
  }, options.setupTimeoutMs ?? 60_000);

  afterEach(async () => {
    const testFailed = currentTestFailed();
    if (testFailed === false) return;
    failed ||= testFailed === true;
    await report(testFailed ? 'test failed; process logs:' : 'test result unknown; process logs:');
  });

  afterAll(async () => {
    if (!mesh) return;
    if (failed && keep) {
      console.error(`SKEIN_HARNESS_KEEP=1: keeping ${mesh.run} (namespaces: ip netns list | grep ${mesh.run}; files: ${mesh.dir})`);
      for (const p of mesh.processes) p.release();
      return;
    }
    await mesh.teardown({ keepFiles: failed });
    if (failed) console.error(`logs and captures of the failed run are kept in ${mesh.dir}`);
  }, 60_000);

  return () => {
    if (!mesh) throw new Error('the mesh is not ready: use it inside tests, not at describe time');
    return mesh;
  };
}
