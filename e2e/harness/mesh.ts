/**
 * A local mesh for system tests: a "node" network namespace holding a Linux bridge, and one
 * namespace per pod wired to it with a veth pair. Nothing is created in the host's namespace, so
 * the host's routing, links and iptables are never touched and parallel runs (even with the same
 * addresses) cannot collide. Services get ClusterIP-style VIPs that exist only as destinations
 * for the pods' iptables capture. `writeConfig` emits the Kubernetes-shaped YAML the control
 * plane's local mode reads. `teardown` removes everything, and is safe to call after any failure.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServicePorts, commonLabels, meshYaml, type MeshModel, type ServicePortSpec } from './config';
import { hostsFile, podNsswitchFromHost, serviceFqdn } from './hosts';
import { addressPlan, type AddressPlan } from './ipam';
import { addNetns, attachToBridge, ip } from './links';
import { checkDnsLabel, nextRunId, nodeNetnsName, podNetnsName } from './names';
import { Netns, type NetnsOwner } from './netns';
import { Pod, type PodSpec } from './pod';
import { type ManagedProcess } from './process';
import { deleteNetns, EtcNetnsDir, sweepLeftovers } from './sweeper';

export interface MeshOptions {
  /** Pod addresses (a /24; the bridge gets .1). Default 10.77.0.0/24. */
  podCidr?: string;
  /** Service VIPs (a /24, never assigned to an interface). Default 10.77.200.0/24. */
  vipCidr?: string;
  /** Remove leftovers of crashed runs first (default true). */
  sweep?: boolean;
}

export interface ServiceSpec {
  name: string;
  /** Default `default`. */
  namespace?: string;
  ports: ServicePortSpec[];
  /** Endpoints; every pod must be in the service's namespace. */
  pods: Pod[];
  /** Default: the labels all `pods` share. */
  selector?: Record<string, string>;
}

export interface Service {
  name: string;
  namespace: string;
  vip: string;
  /** `<name>.<ns>.svc.cluster.local`, resolvable in every pod. */
  fqdn: string;
  ports: readonly ServicePortSpec[];
  pods: readonly Pod[];
  selector: Readonly<Record<string, string>>;
}

export interface AddPodOptions {
  /**
   * Wires the pod's namespace instead of the harness's own veth pair (e.g. a CNI plugin chain run
   * by a test "runtime"): it must give the pod's eth0 `address` on the bridge, with `gateway` as
   * its default route.
   */
  attach?: (pod: { netns: string; address: string; gateway: string }) => Promise<void>;
}

const BridgeName = 'skbr0';

export class Mesh implements NetnsOwner {
  readonly run: string;
  /** Temp dir of this run (logs, captures, config); mode 0755 so app UIDs can read it. */
  readonly dir: string;
  readonly logDir: string;
  /** The node namespace: holds the bridge, has the gateway address (pods reach it at `node.ip`). */
  readonly node: Netns;
  readonly bridge = BridgeName;
  readonly processes: ManagedProcess[] = [];
  private readonly pods = new Map<string, Pod>();
  private readonly services = new Map<string, Service>();
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private readonly fileNames = new Map<string, number>();
  private tornDown = false;

  private constructor(
    private readonly plan: AddressPlan,
    run: string,
    dir: string,
  ) {
    this.run = run;
    this.dir = dir;
    this.logDir = join(dir, 'logs');
    this.node = new Netns(nodeNetnsName(run), plan.gateway, 'node', this);
  }

  /** Creates the node namespace and the bridge. On failure, whatever was made is removed. */
  static async create(options: MeshOptions = {}): Promise<Mesh> {
    const plan = addressPlan(options.podCidr ?? '10.77.0.0/24', options.vipCidr ?? '10.77.200.0/24');
    if (options.sweep !== false) await sweepLeftovers();
    const id = nextRunId();
    const dir = mkdtempSync(join(tmpdir(), `${id}-`));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'logs'), { mode: 0o755 });
    const mesh = new Mesh(plan, id, dir);
    try {
      const ns = mesh.node.netns;
      await addNetns(ns);
      await ip(ns, 'link', 'add', BridgeName, 'type', 'bridge');
      await ip(ns, 'addr', 'add', `${plan.gateway}/24`, 'dev', BridgeName);
      await ip(ns, 'link', 'set', BridgeName, 'up');
    } catch (e) {
      await mesh.teardown().catch(() => undefined);
      throw e;
    }
    return mesh;
  }

  /** Creates a pod namespace, wires eth0 to the bridge, sets its address and default route. */
  async addPod(spec: PodSpec, options: AddPodOptions = {}): Promise<Pod> {
    this.checkOpen();
    const full: Required<PodSpec> = {
      name: checkDnsLabel('pod', spec.name),
      namespace: checkDnsLabel('namespace', spec.namespace ?? 'default'),
      labels: { ...spec.labels },
      serviceAccount: spec.serviceAccount ?? 'default',
    };
    checkDnsLabel('service account', full.serviceAccount);
    const key = `${full.namespace}/${full.name}`;
    if (this.pods.has(key)) throw new Error(`pod ${key} already exists in this mesh`);
    const address = this.plan.pods.allocate();
    const pod = new Pod(full, podNetnsName(this.run, full.namespace, full.name), address, this);
    this.pods.set(key, pod);
    this.namespaceLabels.set(full.namespace, this.namespaceLabels.get(full.namespace) ?? {});
    const veth = `veth${this.pods.size}`;
    await addNetns(pod.netns);
    if (options.attach) {
      await options.attach({ netns: pod.netns, address, gateway: this.plan.gateway });
    } else {
      await attachToBridge({ bridgeNetns: this.node.netns, bridge: BridgeName, veth, netns: pod.netns, address: `${address}/24`, gateway: this.plan.gateway });
    }
    this.writeHostsFiles();
    return pod;
  }

  /** Declares a Service with a fresh VIP; its names resolve in every pod from now on. */
  addService(spec: ServiceSpec): Service {
    this.checkOpen();
    const name = checkDnsLabel('service', spec.name);
    const namespace = checkDnsLabel('namespace', spec.namespace ?? 'default');
    if (this.services.has(`${namespace}/${name}`)) throw new Error(`service ${namespace}/${name} already exists in this mesh`);
    checkServicePorts(`${namespace}/${name}`, spec.ports);
    this.checkServicePods(namespace, name, spec.pods);
    const service: Service = {
      name,
      namespace,
      vip: this.plan.vips.allocate(),
      fqdn: serviceFqdn({ name, namespace }),
      ports: spec.ports.map((p) => ({ ...p })),
      pods: [...spec.pods],
      selector: spec.selector ?? commonLabels(spec.pods.map((p) => p.model)),
    };
    this.services.set(`${namespace}/${name}`, service);
    this.namespaceLabels.set(namespace, this.namespaceLabels.get(namespace) ?? {});
    this.writeHostsFiles();
    return service;
  }

  /**
   * Replaces a service's endpoints (e.g. to scale a version up or down); call writeConfig again
   * for the control plane to see it.
   */
  setServicePods(namespace: string, name: string, pods: Pod[]): Service {
    const current = this.service(namespace, name);
    this.checkServicePods(current.namespace, current.name, pods);
    const updated: Service = { ...current, pods: [...pods] };
    this.services.set(`${namespace}/${name}`, updated);
    return updated;
  }

  /** Adds labels to a namespace's object (e.g. `{ 'skein.dev/inject': 'enabled' }`). */
  labelNamespace(namespace: string, labels: Record<string, string>): void {
    checkDnsLabel('namespace', namespace);
    this.namespaceLabels.set(namespace, { ...this.namespaceLabels.get(namespace), ...labels });
  }

  pod(namespace: string, name: string): Pod {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) throw new Error(`no pod ${namespace}/${name} in this mesh`);
    return pod;
  }

  service(namespace: string, name: string): Service {
    const service = this.services.get(`${namespace}/${name}`);
    if (!service) throw new Error(`no service ${namespace}/${name} in this mesh`);
    return service;
  }

  get model(): MeshModel {
    return {
      namespaces: [...this.namespaceLabels].map(([name, labels]) => ({ name, labels })),
      pods: [...this.pods.values()].map((p) => p.model),
      services: [...this.services.values()].map((s) => ({ ...s, pods: s.pods.map((p) => p.model) })),
    };
  }

  /**
   * Writes `<dir>/mesh.yaml` (Namespaces, ServiceAccounts, Pods, Services, EndpointSlices, then
   * `extraYaml`), atomically, so a control plane watching the dir never reads half a file.
   * Returns the file's path.
   */
  async writeConfig(dir: string, extraYaml = ''): Promise<string> {
    const yaml = meshYaml(this.model, extraYaml);
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'mesh.yaml');
    const partial = join(dir, '.mesh.yaml.partial');
    await writeFile(partial, yaml, { mode: 0o644 });
    await rename(partial, file);
    return file;
  }

  /** Every pod, in creation order. */
  allPods(): Pod[] {
    return [...this.pods.values()];
  }

  /** Starts tcpdump on the bridge (sees all pod-to-pod traffic). */
  captureBridge(filter = ''): ReturnType<Netns['capture']> {
    return this.node.capture(filter, BridgeName);
  }

  /** The last lines of every process log, for failure diagnostics. */
  async logTails(lines = 30): Promise<string> {
    const parts = await Promise.all(this.processes.map(async (p) => {
      const state = p.exitStatus ? `exited ${p.exitStatus.signal ?? p.exitStatus.code}` : 'running';
      return `--- ${p.name} (pid ${p.pid}, ${state}) ${p.logFile} ---\n${await p.tail(lines)}`;
    }));
    return parts.join('\n');
  }

  /**
   * Stops every process (SIGTERM, then SIGKILL), deletes every namespace (with the bridge and
   * veths in them), the /etc/netns entries and the temp dir. Continues past errors and reports
   * them all at the end. `keepFiles` leaves the temp dir (logs, captures) for inspection.
   */
  async teardown(options: { keepFiles?: boolean } = {}): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    const errors: string[] = [];
    const attempt = async (what: string, action: () => Promise<unknown>) => {
      try {
        await action();
      } catch (e) {
        errors.push(`${what}: ${(e as Error).message}`);
      }
    };
    await Promise.all(this.processes.map((p) => attempt(`stop ${p.name}`, () => p.stop())));
    for (const ns of [...[...this.pods.values()].map((p) => p.netns), this.node.netns]) {
      await attempt(`delete netns ${ns}`, () => deleteNetns(ns));
      await attempt(`remove ${EtcNetnsDir}/${ns}`, async () => rmSync(join(EtcNetnsDir, ns), { recursive: true, force: true }));
    }
    if (!options.keepFiles) await attempt(`remove ${this.dir}`, async () => rmSync(this.dir, { recursive: true, force: true }));
    if (errors.length > 0) throw new Error(`mesh teardown had ${errors.length} problem(s):\n${errors.join('\n')}`);
  }

  // NetnsOwner
  track(process: ManagedProcess): void {
    this.checkOpen();
    this.processes.push(process);
  }

  uniqueFile(stem: string, ext: string): string {
    const n = this.fileNames.get(`${stem}.${ext}`) ?? 0;
    this.fileNames.set(`${stem}.${ext}`, n + 1);
    return join(this.logDir, n === 0 ? `${stem}.${ext}` : `${stem}.${n}.${ext}`);
  }

  private checkServicePods(namespace: string, name: string, pods: readonly Pod[]): void {
    for (const pod of pods) {
      if (this.pods.get(`${pod.namespace}/${pod.name}`) !== pod) throw new Error(`service ${namespace}/${name}: pod ${pod.namespace}/${pod.name} is not part of this mesh`);
      if (pod.namespace !== namespace) throw new Error(`service ${namespace}/${name}: pod ${pod.name} is in namespace ${pod.namespace}`);
    }
  }

  private checkOpen(): void {
    if (this.tornDown) throw new Error('this mesh has been torn down');
  }

  /** /etc/netns/<pod netns>/{hosts,nsswitch.conf}, which `ip netns exec` mounts over /etc. */
  private writeHostsFiles(): void {
    const services = [...this.services.values()];
    const nsswitch = podNsswitchFromHost();
    for (const pod of this.pods.values()) {
      const dir = join(EtcNetnsDir, pod.netns);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(join(dir, 'hosts'), hostsFile(pod, services), { mode: 0o644 });
      writeFileSync(join(dir, 'nsswitch.conf'), nsswitch, { mode: 0o644 });
    }
  }
}
