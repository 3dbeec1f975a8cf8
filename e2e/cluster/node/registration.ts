/**
 * The node's presence in the API, as the kubelet keeps it: the Node object (registered with its
 * status — addresses, capacity, conditions — as the kubelet does on create), and the heartbeat
 * Lease in `kube-node-lease` renewed every 10 s (leaseDurationSeconds 40).
 */
import { ApiError, type KubeApi } from './api';
import { type Allocatable } from './core/fieldpath';

export interface NodeIdentity {
  name: string;
  hostIP: string;
  podCidr: string;
  allocatable: Allocatable & { pods: number };
}

export const KubeletVersion = 'v1.31.0-skein-sim';
export const LeaseNamespace = 'kube-node-lease';
const LeaseDurationSeconds = 40;
const RenewIntervalMs = 10_000;

function resources(a: NodeIdentity['allocatable']): Record<string, string> {
  return { cpu: String(a.cpu), memory: `${Math.floor(a.memory / 1024)}Ki`, pods: String(a.pods), 'ephemeral-storage': `${Math.floor(a.ephemeralStorage / 1024)}Ki` };
}

function nodeStatus(node: NodeIdentity, now: string) {
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
  return {
    capacity: resources(node.allocatable),
    allocatable: resources(node.allocatable),
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [{ type: 'InternalIP', address: node.hostIP }, { type: 'Hostname', address: node.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: '', systemUUID: '', bootID: '', kernelVersion: process.version, osImage: 'Skein simulated node', containerRuntimeVersion: 'skein-node://0.1.0',
      kubeletVersion: KubeletVersion, kubeProxyVersion: KubeletVersion, operatingSystem: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
}

/** Creates the Node object, or takes over an existing one of the same name and reports Ready. */
export async function registerNode(api: KubeApi, node: NodeIdentity): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const labels = { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': nodeStatus(node, now).nodeInfo.architecture, 'beta.kubernetes.io/os': 'linux' };
  try {
    await api.post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node.name, labels }, spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] }, status: nodeStatus(node, now) });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 409)) throw e;
  }
  await api.patch(`/api/v1/nodes/${encodeURIComponent(node.name)}/status`, { status: nodeStatus(node, now) });
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
}

function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The node heartbeat: renews `kube-node-lease/<node>` every 10 s until stopped. */
export class NodeLease {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly api: KubeApi,
    private readonly nodeName: string,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.renew();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.renew().catch((e: Error) => this.log(`lease renewal: ${e.message}`)).finally(() => this.schedule());
    }, RenewIntervalMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${LeaseNamespace}/leases`;
    const spec = { holderIdentity: this.nodeName, leaseDurationSeconds: LeaseDurationSeconds, renewTime: microTime(new Date()) };
    let current: Lease | undefined;
    try {
      current = await this.api.get<Lease>(`${path}/${encodeURIComponent(this.nodeName)}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    if (!current) {
      await this.api.post(path, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.nodeName, namespace: LeaseNamespace }, spec });
      return;
    }
    await this.api.put(`${path}/${encodeURIComponent(this.nodeName)}`, { ...current, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { ...current.spec, ...spec } });
  }
}
