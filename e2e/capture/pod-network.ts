/**
 * A pod and a peer in two network namespaces joined by a veth pair; nothing touches the host
 * namespace. The peer holds the "service VIPs" on its loopback, so a connection that is not
 * captured in the pod reaches a real server there and says so.
 *
 *   pod  eth0 10.199.0.2/24  fd00:199::2/64  ──veth──  peer eth0 10.199.0.1/24  fd00:199::1/64
 *                                                      peer lo  10.199.100.10  10.199.200.20  fd00:199:100::10
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { clientScript, type Reply, serverScript } from './fixtures';

export const addresses = {
  pod: '10.199.0.2',
  podV6: 'fd00:199::2',
  peer: '10.199.0.1',
  peerV6: 'fd00:199::1',
  vip: '10.199.100.10',
  excludedVip: '10.199.200.20',
  excludedCidr: '10.199.200.0/24',
  vipV6: 'fd00:199:100::10',
} as const;

const commandTimeoutMs = 20_000;

export function sh(args: readonly string[], input?: string): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', input, timeout: commandTimeoutMs, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs argv inside a namespace, optionally as another UID/GID (setpriv, no supplementary groups). */
export function inNamespace(ns: string, argv: readonly string[], user?: { uid: number; gid: number }): string[] {
  const as = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'] : [];
  return ['ip', 'netns', 'exec', ns, ...as, ...argv];
}

export class PodNetwork {
  readonly pod: string;
  readonly peer: string;
  private readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    this.pod = `skc-pod-${tag}`;
    this.peer = `skc-peer-${tag}`;
  }

  create(): void {
    const { pod, peer } = this;
    sh(['ip', 'netns', 'add', pod]);
    sh(['ip', 'netns', 'add', peer]);
    const script = [
      `ip -n ${pod} link add eth0 type veth peer name eth0 netns ${peer}`,
      ...[pod, peer].flatMap((ns) => [`ip -n ${ns} link set lo up`, `ip -n ${ns} link set eth0 up`]),
      `ip -n ${pod} addr add ${addresses.pod}/24 dev eth0`,
      `ip -n ${pod} -6 addr add ${addresses.podV6}/64 dev eth0 nodad`,
      `ip -n ${pod} route add default via ${addresses.peer}`,
      `ip -n ${pod} -6 route add default via ${addresses.peerV6}`,
      `ip -n ${peer} addr add ${addresses.peer}/24 dev eth0`,
      `ip -n ${peer} -6 addr add ${addresses.peerV6}/64 dev eth0 nodad`,
      `ip -n ${peer} addr add ${addresses.vip}/32 dev lo`,
      `ip -n ${peer} addr add ${addresses.excludedVip}/32 dev lo`,
      `ip -n ${peer} -6 addr add ${addresses.vipV6}/128 dev lo nodad`,
    ];
    for (const line of script) sh(line.split(' '));
  }

  /** Starts a fixture server in a namespace and waits until it listens. */
  async startServer(ns: string, options: { name: string; ports: number[]; origDstModule?: string }, user?: { uid: number; gid: number }): Promise<void> {
    const [file, ...args] = inNamespace(ns, [process.execPath, '-e', serverScript, JSON.stringify(options)], user);
    const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server ${options.name} did not start: ${stderr}`)), commandTimeoutMs);
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server ${options.name} exited (${code}): ${stderr}`));
      });
    });
  }

  /** Connects from a namespace (as a UID) and returns the server's reply or the error. */
  connect(ns: string, host: string, port: number, user?: { uid: number; gid: number }, localAddress?: string): Reply {
    const out = sh(inNamespace(ns, [process.execPath, '-e', clientScript, host, String(port), '5000', ...(localAddress ? [localAddress] : [])], user));
    return JSON.parse(out) as Reply;
  }

  /** Kills the servers and deletes both namespaces (with them the veth pair and every rule). */
  destroy(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ns of [this.pod, this.peer]) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // not created
      }
    }
  }
}

/** iptables-save output without the lines that change by themselves (timestamps, counters). */
export function normalizedSave(ns: string, tool: 'iptables-save' | 'ip6tables-save'): string {
  return sh(inNamespace(ns, [tool]))
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/, '[0:0]'))
    .join('\n');
}
