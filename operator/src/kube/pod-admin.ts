/**
 * A sidecar's admin API on a cluster, for `skein proxy-config POD`: the pod is looked up first (so a
 * pod that does not exist, or runs no sidecar, is said plainly), then its admin port (loopback-only
 * in the pod) is reached through the transport.
 */
import { Containers, ProxyPorts } from '../../../api/src/names';
import { type Get } from '../monitoring-client';
import { isNotFound } from './api';
import { type ClusterOptions, connectCluster, describeApiFailure, isApiFailure } from './cluster';
import { summarizePod } from './control-plane';
import { PodResource, resourcePath } from './resources';
import { forwardedGet, forwardPodPort } from './transport';

export class PodNotFoundError extends Error {
  override name = 'PodNotFoundError';
}

export async function openPodAdmin(target: { pod: string; namespace?: string } & ClusterOptions): Promise<{ name: string; get: Get; close(): Promise<void> }> {
  const cluster = connectCluster(target);
  const namespace = target.namespace ?? cluster.namespace;
  let pod;
  try {
    pod = summarizePod(await cluster.api.get(resourcePath(PodResource, namespace, target.pod)));
  } catch (err) {
    if (isNotFound(err)) throw new PodNotFoundError(`pod "${target.pod}" not found in namespace "${namespace}" (kubectl get pods -n ${namespace})`);
    if (isApiFailure(err)) throw new Error(describeApiFailure(err, cluster.server));
    throw err;
  }
  if (!pod.containers.includes(Containers.proxy)) throw new PodNotFoundError(`pod ${namespace}/${target.pod} has no ${Containers.proxy} container: it is not in the mesh`);
  if (pod.phase !== 'Running') throw new PodNotFoundError(`pod ${namespace}/${target.pod} is ${pod.phase}, not Running`);
  const forward = await forwardPodPort(cluster, { namespace, pod: target.pod, port: ProxyPorts.admin });
  const name = `pod ${target.pod}.${namespace}`;
  return { name, get: (path) => forwardedGet(forward, path, `${name} admin port ${ProxyPorts.admin}`), close: () => forward.close() };
}
