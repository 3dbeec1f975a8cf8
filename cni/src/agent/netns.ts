/**
 * The capture of one pod, done by the node agent inside the pod's network namespace: init-network's
 * own iptables runner (capture/src/iptables.ts) with every command prefixed by
 * `nsenter --net=<netns>`. The binaries are the agent image's (nsenter switches only the network
 * namespace), so a missing tool is found on the agent's PATH before anything runs.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { type InitNetworkOptions } from '../../../capture/src/flags';
import {
  type AppliedScript, applyCapture, checkCapture, cleanupCapture, type InitIo, MissingToolError, type RunCommand, resolveTarget, runCommand,
} from '../../../capture/src/iptables';

/** What the request handler asks of a pod's network namespace (tests of the handler pass a fake). */
export interface NetnsCapture {
  exists(netns: string): Promise<boolean>;
  apply(netns: string, options: InitNetworkOptions): Promise<AppliedScript[]>;
  /** What is missing of the rules `options` select (empty when all are in place). */
  check(netns: string, options: InitNetworkOptions): Promise<string[]>;
  /** Removes Skein's rules (both families, every backend holding them). */
  cleanup(netns: string): Promise<AppliedScript[]>;
}

const onPath = new Map<string, boolean>();

async function findOnPath(tool: string, searchPath: string): Promise<boolean> {
  const known = onPath.get(tool);
  if (known !== undefined) return known;
  let found = false;
  for (const dir of searchPath.split(':').filter(Boolean)) {
    try {
      await access(path.join(dir, tool), constants.X_OK);
      found = true;
      break;
    } catch {
      // not in this directory
    }
  }
  onPath.set(tool, found);
  return found;
}

/** init-network's system calls, made inside the namespace at `netns`. */
export function netnsIo(netns: string, run: RunCommand = runCommand, searchPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): InitIo {
  const inNetns: RunCommand = async (file, args, input) => {
    if (!(await findOnPath(file, searchPath))) throw new MissingToolError(file);
    return run('nsenter', [`--net=${netns}`, '--', file, ...args], input);
  };
  return {
    run: inNetns,
    async readInet6() {
      try {
        return (await inNetns('cat', ['/proc/net/if_inet6'])).stdout;
      } catch {
        return undefined; // IPv6 disabled in the pod's namespace
      }
    },
  };
}

export const nsenterCapture: NetnsCapture = {
  async exists(netns) {
    try {
      await stat(netns);
      return true;
    } catch {
      return false;
    }
  },
  async apply(netns, options) {
    const io = netnsIo(netns);
    const { backend, families } = await resolveTarget(options, io);
    return applyCapture(options.config, families, backend, io);
  },
  async check(netns, options) {
    const io = netnsIo(netns);
    return checkCapture(options.config, await resolveTarget(options, io), io);
  },
  cleanup(netns) {
    return cleanupCapture(['ipv4', 'ipv6'], netnsIo(netns));
  },
};
