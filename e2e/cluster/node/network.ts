/**
 * The node's networking, all inside network namespaces this run owns (nothing in the host's):
 * the node namespace with the bridge `cbr0` (the pods' gateway, also the node's InternalIP),
 * forwarding on and bridged traffic passing iptables (br_netfilter, as kube-proxy needs with a
 * bridge CNI); one namespace per pod with eth0 on the bridge (hairpin on, as the kubelet sets it),
 * an address from the node's pod CIDR and a default route via the bridge; the pod's /etc/hosts
 * (cluster DNS: every Service's names → ClusterIP) and nsswitch.conf in /etc/netns/<pod netns>/.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostsFile, type HostsService, podNsswitchFromHost } from '../../harness/hosts';
import { parseCidr24, ReusableAddressPool } from '../../harness/ipam';
import { addNetns, attachToBridge, ip, sysctl } from '../../harness/links';
import { nodeNetnsName, podNetnsName } from '../../harness/names';
import { run } from '../../harness/command';
import { deleteNetns, EtcNetnsDir } from '../../harness/sweeper';
import { iptablesRules, type ServicePortTarget } from './core/kube-proxy';

export const BridgeName = 'cbr0';

export interface PodSandbox {
  netns: string;
  ip: string;
  veth: string;
  /** For the hosts file. */
  name: string;
  namespace: string;
  hostname: string;
}

export class NodeNetwork {
  readonly netns: string;
  readonly gateway: string;
  private readonly pool: ReusableAddressPool;
  private vethSeq = 0;
  private readonly sandboxes = new Map<string, PodSandbox>();
  private services: HostsService[] = [];
  private readonly nsswitch = podNsswitchFromHost();
  private lastRules = '';

  constructor(run: string, podCidr: string) {
    const cidr = parseCidr24(podCidr);
    this.netns = nodeNetnsName(run);
    this.gateway = `${cidr.prefix}.1`;
    this.pool = new ReusableAddressPool(cidr, 2, 'pod');
  }

  async create(): Promise<void> {
    await addNetns(this.netns);
    await ip(this.netns, 'link', 'add', BridgeName, 'type', 'bridge');
    await ip(this.netns, 'addr', 'add', `${this.gateway}/24`, 'dev', BridgeName);
    await ip(this.netns, 'link', 'set', BridgeName, 'up');
    // A default route (on the bridge, so nothing can leave the node's namespaces): the node's own
    // connections to a ClusterIP need a route before kube-proxy's OUTPUT DNAT sends them to a pod.
    await ip(this.netns, 'route', 'add', 'default', 'dev', BridgeName);
    await sysctl(this.netns, 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0', `net.ipv4.conf.${BridgeName}.send_redirects=0`);
    await this.applyServiceRules([]);
  }

  /** Creates the pod's network namespace, wired to the bridge. `key` identifies the pod (its UID). */
  async createSandbox(key: string, pod: { name: string; namespace: string; hostname: string; run: string }): Promise<PodSandbox> {
    const sandbox: PodSandbox = {
      netns: `${podNetnsName(pod.run, pod.namespace, pod.name)}.${key.slice(0, 8)}`,
      ip: this.pool.allocate(),
      veth: `veth${++this.vethSeq}`,
      name: pod.name,
      namespace: pod.namespace,
      hostname: pod.hostname,
    };
    this.sandboxes.set(key, sandbox);
    try {
      await addNetns(sandbox.netns);
      this.writeEtc(sandbox);
      await attachToBridge({ bridgeNetns: this.netns, bridge: BridgeName, veth: sandbox.veth, netns: sandbox.netns, address: `${sandbox.ip}/24`, gateway: this.gateway });
      await run(['ip', '-n', this.netns, 'link', 'set', 'dev', sandbox.veth, 'type', 'bridge_slave', 'hairpin', 'on']);
      await sysctl(sandbox.netns, 'net.ipv4.conf.all.accept_redirects=0');
    } catch (e) {
      await this.removeSandbox(key).catch(() => undefined);
      throw e;
    }
    return sandbox;
  }

  /** Kills whatever still runs in the pod's namespace, deletes it and its /etc/netns files, frees the IP. */
  async removeSandbox(key: string): Promise<void> {
    const sandbox = this.sandboxes.get(key);
    if (!sandbox) return;
    this.sandboxes.delete(key);
    await deleteNetns(sandbox.netns);
    rmSync(join(EtcNetnsDir, sandbox.netns), { recursive: true, force: true });
    this.pool.release(sandbox.ip);
  }

  /** Cluster DNS: rewrites every pod's hosts file for this set of Services. */
  setServices(services: HostsService[]): void {
    const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
    if (JSON.stringify(sorted) === JSON.stringify(this.services)) return;
    this.services = sorted;
    for (const s of this.sandboxes.values()) this.writeEtc(s);
  }

  /** kube-proxy: replaces the node namespace's nat and filter tables (only when they change). */
  async applyServiceRules(targets: readonly ServicePortTarget[]): Promise<boolean> {
    const rules = iptablesRules(targets);
    if (rules === this.lastRules) return false;
    await run(['ip', 'netns', 'exec', this.netns, 'iptables-restore'], { input: rules });
    this.lastRules = rules;
    return true;
  }

  async teardown(): Promise<string[]> {
    const errors: string[] = [];
    for (const key of [...this.sandboxes.keys()]) await this.removeSandbox(key).catch((e: Error) => errors.push(e.message));
    await deleteNetns(this.netns).catch((e: Error) => errors.push(e.message));
    rmSync(join(EtcNetnsDir, this.netns), { recursive: true, force: true });
    return errors;
  }

  /**
   * /etc/netns/<netns>/{hosts,nsswitch.conf}. The hosts file is rewritten in place (same inode):
   * running containers bind-mount it, so they see new Services at once.
   */
  private writeEtc(s: PodSandbox): void {
    const dir = join(EtcNetnsDir, s.netns);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'hosts'), hostsFile({ name: s.hostname, namespace: s.namespace, ip: s.ip }, this.services), { mode: 0o644 });
    writeFileSync(join(dir, 'nsswitch.conf'), this.nsswitch, { mode: 0o644 });
  }
}
