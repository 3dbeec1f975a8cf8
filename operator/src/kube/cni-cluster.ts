/**
 * The CNI node agent's NodeCluster (cni/src/cluster.ts; satisfied structurally, since operator/ may
 * not import cni/ — cli/ joins the two) on the Kubernetes API: one GET per pod the runtime starts,
 * and one GET of the agent's own DaemonSet when it stops.
 */
import { isNotFound, type KubeApi } from './api';
import { KubeRestClient, loadKubeConfig } from './rest';
import { PodResource, resourcePath, type ResourceType } from './resources';

const DaemonSetResource: ResourceType = { kind: 'DaemonSet', apiVersion: 'apps/v1', plural: 'daemonsets', namespaced: true };

interface ObjectWithMeta {
  metadata?: { uid?: string; annotations?: Record<string, string>; deletionTimestamp?: string };
}

async function getOrUndefined(api: KubeApi, path: string): Promise<ObjectWithMeta | undefined> {
  try {
    return await api.get<ObjectWithMeta>(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export class KubeNodeCluster {
  constructor(private readonly api: KubeApi) {}

  async pod(namespace: string, name: string): Promise<{ uid: string; annotations: Record<string, string> } | undefined> {
    const pod = await getOrUndefined(this.api, resourcePath(PodResource, namespace, name));
    return pod ? { uid: pod.metadata?.uid ?? '', annotations: { ...(pod.metadata?.annotations ?? {}) } } : undefined;
  }

  async daemonSetRemoved(namespace: string, name: string): Promise<boolean> {
    const daemonSet = await getOrUndefined(this.api, resourcePath(DaemonSetResource, namespace, name));
    return daemonSet === undefined || daemonSet.metadata?.deletionTimestamp !== undefined;
  }
}

/** The agent's cluster from a kubeconfig file (undefined: in-cluster, then the default rules). */
export function kubeNodeCluster(kubeconfig: string | undefined): KubeNodeCluster {
  return new KubeNodeCluster(new KubeRestClient(loadKubeConfig({ kubeconfig })));
}
