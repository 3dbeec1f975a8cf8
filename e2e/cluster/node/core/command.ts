/**
 * The argv a container runs: Kubernetes' rules over the image config (`command` replaces
 * ENTRYPOINT, `args` replace CMD, a `command` without `args` drops CMD), with `$(VAR)` expanded
 * in command and args against the container's environment as the kubelet computed it.
 */
import { expand, lookupIn } from './expand';
import { type Container } from './types';

export function containerArgv(container: Container, image: { entrypoint: readonly string[]; cmd: readonly string[] }, env: Readonly<Record<string, string>>): string[] {
  const lookup = lookupIn(env);
  const command = (container.command ?? []).map((c) => expand(c, lookup));
  const args = (container.args ?? []).map((a) => expand(a, lookup));
  let argv: string[];
  if (command.length > 0) argv = [...command, ...args];
  else if (args.length > 0) argv = [...image.entrypoint, ...args];
  else argv = [...image.entrypoint, ...image.cmd];
  if (argv.length === 0) throw new Error('no command specified');
  return argv;
}
