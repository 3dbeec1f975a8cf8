/**
 * Which node a caller may be, and which of its metadata counts (docs/security.md, "Control plane").
 * Pure: the caller's proven identity, the node and the mesh model are passed in.
 *
 * A caller on the mTLS port proved a SPIFFE id with its workload certificate. Its stream is refused
 * (PERMISSION_DENIED) unless
 * - the node id's namespace is the certificate's namespace,
 * - the SERVICE_ACCOUNT metadata, when sent, is the certificate's service account (when not sent,
 *   the certificate's is used),
 * - a pod the control plane knows under the node id's name runs as that service account and has
 *   the node id's IP,
 * - it does not ask for another generator: `GENERATOR: grpc` is refused, a `sidecar~` node on the
 *   mTLS port is a sidecar (proxyless gRPC clients use the loopback plaintext port).
 * Explicit-port metadata (SKEIN_INBOUND_PORTS, SKEIN_OUTBOUND_PORTS) only shapes the caller's own
 * listeners: honoured in local mode (where it is how processes without iptables capture get
 * listeners; an inbound port counts only if an EndpointSlice lists this pod on it), ignored with a
 * warning on Kubernetes, where pods are captured and the injector never sets it.
 *
 * A caller on the loopback plaintext port proved nothing: it is a process on the control plane's
 * own host, trusted like the host (local mode, tests, proxyless gRPC); its metadata is honoured.
 * Either way the result belongs to the one stream that sent it (the ADS server keys state per stream).
 */
import { formatSpiffeId, type SpiffeId } from '../../../api/src/spiffe';
import { type MeshModel } from './model';
import { type ProxyNode } from './node-id';
import { NodeMetadata } from './translate/translate';

export type StreamCaller =
  /** mTLS: the SPIFFE id of the verified client certificate. */
  | { kind: 'workload'; id: SpiffeId }
  /** The loopback plaintext port. */
  | { kind: 'local' };

export class ProxyAuthError extends Error {
  override name = 'ProxyAuthError';
  constructor(
    readonly code: 'unauthenticated' | 'permission-denied',
    message: string,
  ) {
    super(message);
  }
}

export interface NodeRules {
  /** Honour SKEIN_INBOUND_PORTS / SKEIN_OUTBOUND_PORTS from workload callers (local mode). */
  localPorts: boolean;
}

export interface AuthorizedNode {
  /** The metadata translation may read (what was not honoured is removed). */
  metadata: Record<string, unknown>;
  /** The caller's SPIFFE id (mTLS), for /debug/syncz and logs. */
  identity?: string;
  /** Metadata ignored and why (shown in /debug/syncz). */
  warnings: string[];
}

/** Node metadata key for the service account (Istio's name; the Skein proxy sends it). */
export const ServiceAccountMetadata = 'SERVICE_ACCOUNT';

const localPortKeys = [NodeMetadata.inboundPorts, NodeMetadata.outboundPorts] as const;

export function authorizeNode(node: ProxyNode, metadata: Record<string, unknown>, caller: StreamCaller, model: Pick<MeshModel, 'pods'>, rules: NodeRules): AuthorizedNode {
  if (caller.kind === 'local') return { metadata, warnings: [] };
  const id = caller.id;
  const spiffe = formatSpiffeId(id);
  const deny = (why: string) => new ProxyAuthError('permission-denied', `node ${node.id} refused for ${spiffe}: ${why}`);
  if (node.namespace !== id.namespace) throw deny(`the node id's namespace is ${node.namespace}, the certificate's ${id.namespace}`);
  const claimed = metadata[ServiceAccountMetadata];
  if (claimed !== undefined && claimed !== id.serviceAccount) throw deny(`metadata ${ServiceAccountMetadata} is ${JSON.stringify(claimed)}, the certificate's service account ${id.serviceAccount}`);
  const pod = model.pods.get(`${node.namespace}/${node.podName}`);
  if (pod && pod.serviceAccount !== id.serviceAccount) throw deny(`pod ${node.namespace}/${node.podName} runs as service account ${pod.serviceAccount}`);
  if (pod && pod.ips.length > 0 && !pod.ips.includes(node.ip)) throw deny(`pod ${node.namespace}/${node.podName} has IP ${pod.ips.join(', ')}, not ${node.ip}`);
  if (metadata[NodeMetadata.generator] === 'grpc') {
    throw deny(`${NodeMetadata.generator}=grpc is not served on the mTLS port (a sidecar~ node is a sidecar); proxyless gRPC clients use the loopback plaintext port`);
  }
  const out: Record<string, unknown> = { ...metadata, [ServiceAccountMetadata]: id.serviceAccount };
  const warnings: string[] = [];
  if (!rules.localPorts) {
    for (const key of localPortKeys) {
      if (out[key] === undefined) continue;
      delete out[key];
      warnings.push(`node metadata ${key} ignored: explicit ports are honoured only in local mode (pods on Kubernetes are captured by iptables)`);
    }
  }
  return { metadata: out, identity: spiffe, warnings };
}
