/**
 * A simulated Kubernetes node: a kubelet, kube-proxy, cluster DNS and pod networking in network
 * namespaces, driven by an API server through its real REST and watch API. It registers a Node
 * (and renews its Lease), watches the pods bound to it (`spec.nodeName=<node>`) and runs each one
 * (pod-worker.ts), keeps the node's iptables DNAT rules and the pods' hosts files in line with
 * Services and EndpointSlices, and gives the API server and the tests a way into the node's
 * network (a dialer, a listener for the API server as pods reach it, exec, logs, captures).
 * Everything it creates carries a run id and is removed by `stop()` or, after a crash, by the
 * harness sweeper.
 */
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildApps } from '../../harness/apps';
import { type Capture } from '../../harness/capture';
import { type RunResult } from '../../harness/command';
import { type HostsService } from '../../harness/hosts';
import { nextRunId } from '../../harness/names';
import { Netns, type NetnsOwner } from '../../harness/netns';
import { type ManagedProcess } from '../../harness/process';
import { sweepLeftovers } from '../../harness/sweeper';
import { defaultImages, type ImageEntry } from '../images';
import { NetnsAgent } from './agent';
import { type ApiConnection, KubeApi } from './api';
import { Backoff, type BackoffSettings, KubeletBackoff } from './core/backoff';
import { serviceTargets } from './core/kube-proxy';
import { type ConfigMap, type EndpointSlice, type Pod, type Secret, type Service } from './core/types';
import { Informer } from './informer';
import { BridgeName, NodeNetwork } from './network';
import { PodWorker, randomSuffix } from './pod-worker';
import { NodeLease, registerNode } from './registration';
import { ContainerRuntime, findTools } from './runtime';
import { TokenManager } from './tokens';

export interface SimulatedNodeOptions {
  /** How the node reaches the API server (its own credentials). */
  api: ApiConnection;
  /** Node name (default `sim-node`). */
  name?: string;
  /** The node's pod CIDR, a /24 (default 10.244.0.0/24, kind's first node). The bridge takes .1. */
  podCidr?: string;
  /** The image table (default: e2e/cluster/images.ts defaultImages()). */
  images?: ImageEntry[];
  /** Port on the node's address where pods reach the API server (default 6443). */
  apiServerPort?: number;
  /** Register a Node object and renew its Lease (default true). */
  register?: boolean;
  /** Remove leftovers of crashed runs first (default true). */
  sweep?: boolean;
  /** Restart back-off (default the kubelet's 10 s doubling to 300 s). */
  backoff?: BackoffSettings;
  /** Also called with every line of the node's own log. */
  log?: (line: string) => void;
}

/** What the node gives its users (tests, the API server double). */
export interface SimulatedNode {
  readonly name: string;
  /** The run id in every name the node creates. */
  readonly run: string;
  /** Logs, volumes and captures of this node. */
  readonly dir: string;
  /** The node's InternalIP (the pods' gateway on the bridge). */
  readonly hostIP: string;
  readonly podCidr: string;
  /** The node's network namespace (holds the bridge, kube-proxy's rules). */
  readonly netns: string;
  readonly bridge: string;
  /** Where pods reach the API server: publish it as the `kubernetes` Service's endpoint. */
  readonly apiServerEndpoint: { ip: string; port: number };
  /**
   * A TCP connection to host:port from the node's network namespace — pod IPs and ClusterIPs —
   * for the API server (admission webhooks, pods/proxy) and the tests.
   */
  dial(host: string, port: number, timeoutMs?: number): Promise<net.Socket>;
  /** `kubectl logs` (current instance, or the previous one); also of pods deleted while the node runs. */
  logs(namespace: string, pod: string, container: string, options?: { previous?: boolean }): Promise<string>;
  /** The last lines of every container log and of the node's own log, for failure diagnostics. */
  logTails(lines?: number): Promise<string>;
  /** `kubectl exec`: runs argv inside a running container. */
  exec(namespace: string, pod: string, container: string, argv: readonly string[], options?: { timeoutMs?: number }): Promise<RunResult>;
  /** The pod's network namespace (run commands there, probe connectivity, capture its eth0). */
  podNetns(namespace: string, pod: string): Netns;
  /** The node's network namespace as a harness Netns. */
  readonly nodeNetns: Netns;
  /** tcpdump on the bridge: every packet between pods, and to and from the node. */
  captureBridge(filter?: string): Promise<Capture>;
  /** Stops every container, removes every namespace and the node's files (unless keepFiles). */
  stop(options?: { keepFiles?: boolean }): Promise<void>;
}

class Node implements SimulatedNode, NetnsOwner {
  readonly name: string;
  readonly run: string;
  readonly dir: string;
  readonly logDir: string;
  readonly podCidr: string;
  readonly bridge = BridgeName;
  readonly network: NodeNetwork;
  readonly nodeNetns: Netns;
  readonly apiServerEndpoint: { ip: string; port: number };
  private readonly api: KubeApi;
  private readonly workers = new Map<string, PodWorker>();
  /** Pods that ended (deleted), kept until the node stops so their logs can still be read. */
  private readonly retired = new Map<string, PodWorker>();
  private readonly processes: ManagedProcess[] = [];
  private readonly fileNames = new Map<string, number>();
  private readonly logFile: string;
  private agent: NetnsAgent | undefined;
  private apiListener: net.Server | undefined;
  private readonly relayed = new Set<net.Socket>();
  private lease: NodeLease | undefined;
  private informers: { pods: Informer<Pod>; services: Informer<Service>; slices: Informer<EndpointSlice>; configMaps: Informer<ConfigMap>; secrets: Informer<Secret> } | undefined;
  private proxyTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: SimulatedNodeOptions) {
    this.name = options.name ?? 'sim-node';
    this.run = nextRunId();
    this.podCidr = options.podCidr ?? '10.244.0.0/24';
    this.dir = mkdtempSync(join(tmpdir(), `${this.run}-`));
    chmodSync(this.dir, 0o755);
    this.logDir = join(this.dir, 'captures');
    mkdirSync(this.logDir, { recursive: true, mode: 0o755 });
    this.logFile = join(this.dir, 'node.log');
    this.network = new NodeNetwork(this.run, this.podCidr);
    this.nodeNetns = new Netns(this.network.netns, this.network.gateway, 'node', this);
    this.apiServerEndpoint = { ip: this.network.gateway, port: options.apiServerPort ?? 6443 };
    this.api = new KubeApi(options.api);
  }

  get hostIP(): string {
    return this.network.gateway;
  }

  get netns(): string {
    return this.network.netns;
  }

  log = (line: string): void => {
    const stamped = `${new Date().toISOString()} ${line}`;
    try {
      appendFileSync(this.logFile, `${stamped}\n`);
    } catch {
      // the node's directory is gone (stopped)
    }
    this.options.log?.(stamped);
  };

  async start(): Promise<void> {
    buildApps();
    const tools = await findTools();
    await this.network.create();
    this.agent = await NetnsAgent.start(this.network.netns, join(this.dir, 'netns-agent.log'));
    await this.listenForPods();
    const runtime = new ContainerRuntime(tools);
    const tokens = new TokenManager(this.api);
    const backoff = this.options.backoff ?? KubeletBackoff;
    const crashBackoff = new Backoff(backoff);
    const imageBackoff = new Backoff(backoff);
    const informer = <T extends Pod | Service | EndpointSlice | ConfigMap | Secret>(path: string, onChange: (obj: T, old: T | undefined, type: string) => void, extra: { fieldSelector?: string; filter?: (o: T) => boolean } = {}) =>
      new Informer<T>(this.api, path, { ...extra, onChange: (type, obj, old) => onChange(obj, old, type), log: this.log });
    const kick = (namespace: string | undefined) => {
      for (const w of this.workers.values()) if (w.pod.metadata?.namespace === namespace) w.kick();
    };
    this.informers = {
      services: informer<Service>('/api/v1/services', () => this.syncServices()),
      slices: informer<EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices', () => this.syncServices()),
      configMaps: informer<ConfigMap>('/api/v1/configmaps', (o) => kick(o.metadata?.namespace)),
      secrets: informer<Secret>('/api/v1/secrets', (o) => kick(o.metadata?.namespace)),
      pods: informer<Pod>('/api/v1/pods', (pod, _old, type) => this.onPod(pod, type), { fieldSelector: `spec.nodeName=${this.name}`, filter: (p) => p.spec?.nodeName === this.name }),
    };
    const context = {
      name: this.name,
      hostIP: this.hostIP,
      run: this.run,
      dir: this.dir,
      allocatable: { cpu: cpus().length, memory: totalmem(), ephemeralStorage: 64 * 2 ** 30 },
      api: this.api,
      network: this.network,
      runtime,
      tokens,
      images: this.options.images ?? defaultImages(),
      services: () => this.informers!.services.list(),
      configMap: (ns: string, name: string) => this.informers!.configMaps.get(ns, name),
      secret: (ns: string, name: string) => this.informers!.secrets.get(ns, name),
      dial: (host: string, port: number, timeoutMs: number) => this.dial(host, port, timeoutMs),
      log: this.log,
      event: (pod: Pod, container: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string) => this.event(pod, container, type, reason, message),
      crashBackoff,
      imageBackoff,
    };
    this.context = context;
    if (this.options.register !== false) {
      await registerNode(this.api, { name: this.name, hostIP: this.hostIP, podCidr: this.podCidr, allocatable: { ...context.allocatable, pods: 110 } });
      this.lease = new NodeLease(this.api, this.name, this.log);
      await this.lease.start().catch((e: Error) => this.log(`node lease: ${e.message} (will retry)`));
    }
    for (const i of [this.informers.services, this.informers.slices, this.informers.configMaps, this.informers.secrets]) await i.start();
    await this.applyServices();
    await this.informers.pods.start();
    this.log(`node ${this.name} ready: run ${this.run}, pod CIDR ${this.podCidr}, API server for pods at ${this.apiServerEndpoint.ip}:${this.apiServerEndpoint.port}`);
  }

  private context: ConstructorParameters<typeof PodWorker>[1] | undefined;

  private onPod(pod: Pod, type: string): void {
    if (this.stopped || !this.context) return;
    const uid = pod.metadata?.uid;
    if (!uid) return;
    let worker = this.workers.get(uid);
    if (type === 'DELETED') {
      worker?.deleted();
      return;
    }
    if (!worker) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return; // finished before this node started
      worker = new PodWorker(pod, this.context, (w) => {
        this.workers.delete(w.uid);
        this.retired.set(w.key, w);
      });
      this.workers.set(uid, worker);
      this.log(`pod ${worker.key} (${uid}) bound to this node`);
    }
    worker.update(pod);
  }

  /** Services or EndpointSlices changed: kube-proxy and DNS follow, debounced. */
  private syncServices(): void {
    if (this.proxyTimer || this.stopped) return;
    this.proxyTimer = setTimeout(() => {
      this.proxyTimer = undefined;
      this.applyServices().catch((e: Error) => this.log(`kube-proxy sync failed: ${e.message}`));
    }, 20);
  }

  private async applyServices(): Promise<void> {
    if (!this.informers || this.stopped) return;
    const services = this.informers.services.list();
    const targets = serviceTargets(services, this.informers.slices.list());
    if (await this.network.applyServiceRules(targets)) this.log(`kube-proxy: ${targets.length} service port(s), ${targets.reduce((n, t) => n + t.endpoints.length, 0)} endpoint(s)`);
    const dns: HostsService[] = services
      .filter((s) => s.spec?.clusterIP && s.spec.clusterIP !== 'None')
      .map((s) => ({ name: s.metadata!.name!, namespace: s.metadata?.namespace ?? 'default', vip: s.spec!.clusterIP! }));
    this.network.setServices(dns);
  }

  /** Pods reach the API server at the node's address: relay each connection to the API server's URL. */
  private async listenForPods(): Promise<void> {
    const target = new URL(this.options.api.url);
    const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    const host = target.hostname.replace(/^\[|\]$/g, '');
    this.apiListener = await this.agent!.listen(this.apiServerEndpoint.ip, this.apiServerEndpoint.port);
    this.apiListener.on('connection', (inbound: net.Socket) => {
      const outbound = net.connect(port, host);
      for (const s of [inbound, outbound]) {
        this.relayed.add(s);
        s.on('close', () => this.relayed.delete(s));
        s.on('error', () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.resume();
    });
  }

  dial(host: string, port: number, timeoutMs = 5_000): Promise<net.Socket> {
    if (!this.agent) return Promise.reject(new Error('the node is not started'));
    return this.agent.connect(host, port, timeoutMs);
  }

  private event(pod: Pod, container: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ns = pod.metadata?.namespace ?? 'default';
    this.log(`event ${type} ${reason} ${ns}/${pod.metadata?.name}${container ? `/${container}` : ''}: ${message}`);
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata?.name}.${randomSuffix()}${randomSuffix()}`, namespace: ns },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, namespace: ns, uid: pod.metadata?.uid, ...(container ? { fieldPath: `spec.containers{${container}}` } : {}) },
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.name },
      reportingComponent: 'kubelet',
      reportingInstance: this.name,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.api.post(`/api/v1/namespaces/${encodeURIComponent(ns)}/events`, body).catch(() => undefined);
  }

  private worker(namespace: string, pod: string, includeRetired = false): PodWorker {
    const w = [...this.workers.values()].find((x) => x.pod.metadata?.namespace === namespace && x.pod.metadata?.name === pod) ?? (includeRetired ? this.retired.get(`${namespace}/${pod}`) : undefined);
    if (!w) throw new Error(`pod ${namespace}/${pod} is not running on node ${this.name}`);
    return w;
  }

  async logs(namespace: string, pod: string, container: string, options: { previous?: boolean } = {}): Promise<string> {
    const file = this.worker(namespace, pod, true).logFile(container, options.previous);
    if (!file) throw new Error(`container "${container}" of pod ${namespace}/${pod} has ${options.previous ? 'no previous instance' : 'not started'}`);
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }

  async logTails(lines = 30): Promise<string> {
    const tail = (text: string) => text.trimEnd().split('\n').slice(-lines).join('\n');
    const parts: string[] = [];
    for (const w of [...this.retired.values(), ...this.workers.values()]) {
      for (const r of w.records) {
        const file = w.logFile(r.name);
        if (!file) continue;
        let text = '';
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          // not written yet
        }
        parts.push(`--- ${w.key}/${r.name} (restarts ${r.restartCount}, ${r.current?.state ?? r.waiting?.reason ?? 'waiting'}) ${file} ---\n${tail(text)}`);
      }
    }
    let nodeLog = '';
    try {
      nodeLog = readFileSync(this.logFile, 'utf8');
    } catch {
      // stopped
    }
    parts.push(`--- node ${this.name} ${this.logFile} ---\n${tail(nodeLog)}`);
    return parts.join('\n');
  }

  async exec(namespace: string, pod: string, container: string, argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
    const running = this.worker(namespace, pod).running(container);
    if (!running) throw new Error(`container "${container}" of pod ${namespace}/${pod} is not running`);
    return running.exec(argv, { timeoutMs: options.timeoutMs ?? 15_000, tools: this.context!.runtime.tools });
  }

  podNetns(namespace: string, pod: string): Netns {
    const w = this.worker(namespace, pod);
    if (!w.netns || !w.podIP) throw new Error(`pod ${namespace}/${pod} has no sandbox (not started, or finished)`);
    return new Netns(w.netns, w.podIP, `${namespace}.${pod}`, this);
  }

  captureBridge(filter = ''): Promise<Capture> {
    return this.nodeNetns.capture(filter, BridgeName);
  }

  async stop(options: { keepFiles?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.proxyTimer);
    this.lease?.stop();
    const errors: string[] = [];
    if (this.informers) await Promise.all(Object.values(this.informers).map((i) => i.stop()));
    await Promise.all([...this.workers.values()].map((w) => w.shutdown().catch((e: Error) => errors.push(`pod ${w.key}: ${e.message}`))));
    await Promise.all(this.processes.map((p) => p.stop().catch((e: Error) => errors.push(`${p.name}: ${e.message}`))));
    this.apiListener?.close();
    for (const s of this.relayed) s.destroy();
    await this.agent?.stop();
    errors.push(...(await this.network.teardown()));
    this.api.close();
    if (!options.keepFiles) rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`stopping node ${this.name} had ${errors.length} problem(s):\n${errors.join('\n')}`);
  }

  // NetnsOwner (captures and processes started in the node's or a pod's namespace)
  track(process: ManagedProcess): void {
    this.processes.push(process);
  }

  uniqueFile(stem: string, ext: string): string {
    const n = this.fileNames.get(`${stem}.${ext}`) ?? 0;
    this.fileNames.set(`${stem}.${ext}`, n + 1);
    return join(this.logDir, n === 0 ? `${stem}.${ext}` : `${stem}.${n}.${ext}`);
  }
}

/**
 * Starts a node: its network namespace and bridge, the agent inside it, the API server relay for
 * pods, the Node object and Lease, the informers; then runs every pod bound to it. On failure,
 * whatever was made is removed.
 */
export async function startSimulatedNode(options: SimulatedNodeOptions): Promise<SimulatedNode> {
  if (options.sweep !== false) await sweepLeftovers();
  const node = new Node(options);
  try {
    await node.start();
  } catch (e) {
    await node.stop({ keepFiles: true }).catch(() => undefined);
    throw new Error(`starting the simulated node failed: ${(e as Error).message} (files in ${node.dir})`);
  }
  return node;
}
