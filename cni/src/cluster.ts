/**
 * What the node agent asks the Kubernetes API. The adapter over the API server lives with the
 * operator (operator/src/kube/cni-cluster.ts: @kubernetes/client-node stays there); cli/ joins the two.
 * The in-memory one serves tests.
 */
import { type PodRecord } from './core/pod';

export type { PodRecord };

export interface NodeCluster {
  /** The pod, or undefined when the API server says it does not exist. Rejects when it cannot tell. */
  pod(namespace: string, name: string): Promise<PodRecord | undefined>;
  /**
   * Whether the agent's DaemonSet is gone or being deleted: the agent then removes itself from the
   * node. False on a restart or an upgrade (the DaemonSet stays). Rejects when it cannot tell.
   */
  daemonSetRemoved(namespace: string, name: string): Promise<boolean>;
}

export class InMemoryNodeCluster implements NodeCluster {
  readonly pods = new Map<string, PodRecord>();
  readonly daemonSets = new Set<string>();

  pod(namespace: string, name: string): Promise<PodRecord | undefined> {
    const pod = this.pods.get(`${namespace}/${name}`);
    return Promise.resolve(pod ? structuredClone(pod) : undefined);
  }

  daemonSetRemoved(namespace: string, name: string): Promise<boolean> {
    return Promise.resolve(!this.daemonSets.has(`${namespace}/${name}`));
  }
}
