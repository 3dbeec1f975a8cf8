/**
 * The control plane as the CLI sees it on a cluster: its pods (Deployment `skein-controlplane`,
 * selector `app=skein-controlplane`) and their monitoring endpoints (:15014 `/debug/syncz`,
 * `/version`), reached through the transport (./transport.ts). Every replica serves xDS, so
 * proxy-status asks each ready one and merges.
 */
import { ControlPlaneName, ControlPlanePorts, Labels, SystemNamespace } from '../../../api/src/names';
import { mergeStatuses, type ProxyStatus } from '../core/proxy-status';
import { fetchSyncz, fetchVersion, type Get } from '../monitoring-client';
import { type Cluster } from './cluster';
import { PodResource, resourcePath } from './resources';
import { forwardedGet, forwardPodPort, type PodPort } from './transport';

export interface PodSummary {
  name: string;
  namespace: string;
  ready: boolean;
  phase: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  containers: string[];
}

interface PodObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: { name: string }[]; initContainers?: { name: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export function summarizePod(p: PodObject): PodSummary {
  return {
    name: p.metadata.name,
    namespace: p.metadata.namespace ?? '',
    phase: p.status?.phase ?? 'Unknown',
    ready: p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    labels: p.metadata.labels ?? {},
    annotations: p.metadata.annotations ?? {},
    containers: [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => c.name),
  };
}

export async function listPods(cluster: Pick<Cluster, 'api'>, namespace?: string, labelSelector?: string): Promise<PodSummary[]> {
  const list = await cluster.api.list<{ items: PodObject[] }>(resourcePath(PodResource, namespace), labelSelector ? { labelSelector } : undefined);
  return list.items.map(summarizePod);
}

export function controlPlanePods(cluster: Pick<Cluster, 'api'>): Promise<PodSummary[]> {
  return listPods(cluster, SystemNamespace, `${Labels.app}=${ControlPlaneName}`);
}

/** Why there is no control plane replica to ask, given how many pods were found. */
export function noReadyControlPlane(found: number): string {
  return `no ready control plane pod in ${SystemNamespace} (${found} found; is Skein installed?)`;
}

/** The ready control plane replicas; throws (noReadyControlPlane) when there is none. */
export async function readyControlPlanePods(cluster: Pick<Cluster, 'api'>): Promise<PodSummary[]> {
  const pods = await controlPlanePods(cluster);
  const ready = pods.filter((p) => p.ready);
  if (ready.length === 0) throw new Error(noReadyControlPlane(pods.length));
  return ready;
}

/** Opens a forward to the pod's port, runs `fn` with a GET through it, closes it. */
export async function withPodPort<T>(cluster: Pick<Cluster, 'config'>, target: PodPort, fn: (get: Get) => Promise<T>): Promise<T> {
  const forward = await forwardPodPort(cluster, target);
  try {
    return await fn((path) => forwardedGet(forward, path, `pod ${target.namespace}/${target.pod} port ${target.port}`));
  } finally {
    await forward.close();
  }
}

/** `/debug/syncz` of every ready control plane pod, merged; replicas that fail are reported, not fatal. */
export async function clusterProxyStatuses(cluster: Cluster): Promise<{ statuses: ProxyStatus[]; replicas: number; errors: string[] }> {
  const all = await controlPlanePods(cluster);
  const pods = all.filter((p) => p.ready);
  const errors: string[] = [];
  if (pods.length === 0) errors.push(noReadyControlPlane(all.length));
  const lists = await Promise.all(pods.map(async (pod) => {
    try {
      return await withPodPort(cluster, { namespace: SystemNamespace, pod: pod.name, port: ControlPlanePorts.monitoring }, (get) => fetchSyncz(get, pod.name));
    } catch (err) {
      errors.push(`${pod.name}: ${(err as Error).message}`);
      return [];
    }
  }));
  return { statuses: mergeStatuses(lists), replicas: pods.length, errors };
}

/** The control plane's own version (`/version` on :15014), per ready replica. */
export async function clusterControlPlaneVersions(cluster: Cluster): Promise<{ pod: string; version?: string; error?: string }[]> {
  const pods = (await controlPlanePods(cluster)).filter((p) => p.ready);
  return Promise.all(pods.map(async (pod) => {
    try {
      return { pod: pod.name, version: await withPodPort(cluster, { namespace: SystemNamespace, pod: pod.name, port: ControlPlanePorts.monitoring }, fetchVersion) };
    } catch (err) {
      return { pod: pod.name, error: (err as Error).message };
    }
  }));
}
