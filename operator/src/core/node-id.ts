/**
 * Proxy node ids: `sidecar~<podIP>~<pod>.<namespace>~<namespace>.svc.cluster.local` (Istio's shape).
 * Parsed once here; every error names the part that is wrong.
 */
import { ipFamily } from '../../../api/src/net';

export interface ProxyNode {
  /** The id as sent by the proxy. */
  id: string;
  type: 'sidecar';
  ip: string;
  podName: string;
  namespace: string;
  /** DNS domain of the namespace, e.g. `default.svc.cluster.local`. */
  dnsDomain: string;
}

export class NodeIdError extends Error {
  override name = 'NodeIdError';
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const podName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function parseNodeId(id: string): ProxyNode {
  const parts = id.split('~');
  const shape = 'expected sidecar~<podIP>~<pod>.<namespace>~<namespace>.svc.<cluster-domain>';
  if (parts.length !== 4) throw new NodeIdError(`invalid node id "${id}": ${shape} (4 parts separated by ~, got ${parts.length})`);
  const [type, ip, podDotNs, dnsDomain] = parts as [string, string, string, string];
  if (type !== 'sidecar') throw new NodeIdError(`invalid node id "${id}": type "${type}" is not supported (only "sidecar")`);
  if (!ipFamily(ip)) throw new NodeIdError(`invalid node id "${id}": "${ip}" is not an IP address`);
  const dot = podDotNs.lastIndexOf('.');
  if (dot <= 0 || dot === podDotNs.length - 1) throw new NodeIdError(`invalid node id "${id}": "${podDotNs}" must be <pod>.<namespace>`);
  const pod = podDotNs.slice(0, dot);
  const namespace = podDotNs.slice(dot + 1);
  if (!podName.test(pod)) throw new NodeIdError(`invalid node id "${id}": pod name "${pod}" is not a DNS subdomain`);
  if (!dnsLabel.test(namespace)) throw new NodeIdError(`invalid node id "${id}": namespace "${namespace}" is not a DNS label`);
  if (!dnsDomain.startsWith(`${namespace}.svc.`) || dnsDomain.length === `${namespace}.svc.`.length) {
    throw new NodeIdError(`invalid node id "${id}": domain "${dnsDomain}" must be ${namespace}.svc.<cluster-domain>`);
  }
  return { id, type: 'sidecar', ip, podName: pod, namespace, dnsDomain };
}

/** The cluster domain (`cluster.local`) from a node's DNS domain. */
export function clusterDomainOf(node: ProxyNode): string {
  return node.dnsDomain.slice(`${node.namespace}.svc.`.length);
}
