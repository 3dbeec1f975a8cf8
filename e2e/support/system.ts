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

/** `describe` when the machine can run system tests; otherwise skip (or fail when required). */
export function describeSystem(name: string, body: () => void, tools?: readonly string[]): void {
  const blocker = systemTestBlocker(tools);
  if (!blocker) {
    describe(name, body);
    return;
  }
  if (process.env.SKEIN_REQUIRE_SYSTEM_TESTS === '1') {
    describe(name, () => {
      it('has what system tests need', () => {
        throw new Error(`system tests are required (SKEIN_REQUIRE_SYSTEM_TESTS=1) but cannot run: ${blocker}`);
      });
    });
    return;
  }
  console.warn(`skipped: ${name}: ${blocker}`);
  describe.skip(name, body);
}
