/** `skein init-network`: the init container's entrypoint (docs/traffic-capture.md). */
import { type Command } from '../../api/src/command';
import { dryRunText, type IpFamily } from './core/capture-rules';
import { initNetworkUsage, parseInitNetworkArgs } from './flags';
import { applyCapture, cleanupCapture, type InitIo, resolveIpv6, resolveTarget, systemIo } from './iptables';

/** Builds the command around its system calls (tests pass fakes; the CLI runs the real binaries). */
export function makeInitNetworkCommand(system: InitIo = systemIo): Command {
  return {
    path: ['init-network'],
    summary: 'install the pod iptables rules that send its TCP through the sidecar (init container)',
    usage: initNetworkUsage,
    async run(args, io) {
      const options = parseInitNetworkArgs(args);
      if (options.cleanup) {
        const families: IpFamily[] = options.ipv6 === 'off' ? ['ipv4'] : ['ipv4', 'ipv6'];
        const removed = await cleanupCapture(families, system);
        if (removed.length === 0) io.stdout.write('no Skein capture rules found; nothing to remove\n');
        for (const { tool, script } of removed) io.stdout.write(`# removed with ${tool} --noflush\n${script}`);
        return 0;
      }
      if (options.dryRun) {
        // No detection (it needs root): the default tools unless a backend was named.
        const backend = options.backend === 'auto' ? 'default' : options.backend;
        const families: IpFamily[] = (await resolveIpv6(options.ipv6, backend, system)) ? ['ipv4', 'ipv6'] : ['ipv4'];
        io.stdout.write(dryRunText(options.config, families));
        return 0;
      }
      const { backend, families } = await resolveTarget(options, system);
      for (const { tool, script } of await applyCapture(options.config, families, backend, system)) {
        io.stdout.write(`# applied with ${tool} --noflush\n${script}`);
      }
      return 0;
    },
  };
}

export const initNetworkCommand: Command = makeInitNetworkCommand();
