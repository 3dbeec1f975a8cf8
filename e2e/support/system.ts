/**
 * Gate for system tests (network namespaces, iptables, UIDs). On a machine without root or
 * without iptables they are skipped with a visible reason — unless SKEIN_REQUIRE_SYSTEM_TESTS=1
 * (set by CI), in which case the missing prerequisite is a failure: a skipped suite proves nothing.
 */
import { execFileSync } from 'node:child_process';

export function systemTestBlocker(tools: readonly string[] = ['ip', 'iptables']): string | undefined {
  if (process.platform !== 'linux') return 'not linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of tools) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `no ${tool}`;
    }
  }
  return undefined;
}

export interface Gate {
  /** Why the suite cannot run here; undefined when it can. */
  blocker: string | undefined;
  /** Env variable that turns "cannot run" into a failure instead of a skip. */
  requiredBy: string;
  /** What the suite is, for the messages ("system tests", "kind tests"). */
  what: string;
  /** Visible prefix of the skip line. */
  skipLabel: string;
}

/**
 * `describe` when the gate is open; otherwise a failing test when the gate's env variable is `1`
 * (a skipped suite proves nothing where it must run), else a visible skip.
 */
export function describeGated(name: string, body: () => void, gate: Gate, env: NodeJS.ProcessEnv = process.env): void {
  if (!gate.blocker) {
    describe(name, body);
    return;
  }
  if (env[gate.requiredBy] === '1') {
    describe(name, () => {
      it(`has what ${gate.what} need`, () => {
        throw new Error(`${gate.what} are required (${gate.requiredBy}=1) but cannot run: ${gate.blocker}`);
      });
    });
    return;
  }
  console.warn(`${gate.skipLabel}: ${name}: ${gate.blocker}`);
  describe.skip(name, body);
}

/** `describe` when the machine can run system tests; otherwise skip (or fail when required). */
export function describeSystem(name: string, body: () => void, tools?: readonly string[]): void {
  describeGated(name, body, { blocker: systemTestBlocker(tools), requiredBy: 'SKEIN_REQUIRE_SYSTEM_TESTS', what: 'system tests', skipLabel: 'skipped' });
}
