/**
 * Gate of the kind suite: it needs a Docker engine (`docker info` succeeds, not just the CLI), kind
 * and kubectl. Without them the suite is skipped with a visible "skipped: no docker/kind" — also when
 * SKEIN_REQUIRE_SYSTEM_TESTS=1, because the network-namespace suite is the system proof that runs
 * everywhere; set SKEIN_REQUIRE_KIND_TESTS=1 on machines that must run it (then a missing tool fails).
 */
import { execFileSync } from 'node:child_process';
import { describeGated } from '../support/system';

export type Probe = (command: string, args: string[]) => boolean;

const realProbe: Probe = (command, args) => {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
};

/** Why the kind suite cannot run here, or undefined when it can. */
export function kindBlocker(probe: Probe = realProbe): string | undefined {
  if (!probe('docker', ['--version'])) return 'no docker CLI';
  if (!probe('docker', ['info', '--format', '{{.ServerVersion}}'])) return 'docker CLI present but no working engine (docker info fails)';
  if (!probe('kind', ['version'])) return 'no kind';
  if (!probe('kubectl', ['version', '--client'])) return 'no kubectl';
  return undefined;
}

export function describeKind(name: string, body: () => void, env: NodeJS.ProcessEnv = process.env, probe?: Probe): void {
  describeGated(name, body, { blocker: kindBlocker(probe), requiredBy: 'SKEIN_REQUIRE_KIND_TESTS', what: 'kind tests', skipLabel: 'skipped: no docker/kind' }, env);
}
