/**
 * The workload labels of the request and TCP metrics, as Istio names them (`source_workload`,
 * `source_workload_namespace`, `source_version`, and the same for `destination_`): one side is this
 * proxy's own node (workload = `app` label or pod name, namespace, `version` label); the other side
 * is the peer's, learnt by **metadata exchange** as Istio's sidecars do for HTTP:
 *
 * - the client sidecar sends its own workload in the request header `x-skein-peer-metadata`, only
 *   to an upstream it reaches over mTLS;
 * - the server sidecar answers with its own workload in the same response header, only to a
 *   downstream that presented a verified certificate;
 * - each side reads the header only on such a verified mTLS connection, checks that the namespace
 *   it claims is the namespace of the peer's SPIFFE id, and removes it, so apps never see it and a
 *   plaintext client cannot put words in a sidecar's mouth.
 *
 * What the peer claims is a label, never an identity: `*_principal` stays the verified SPIFFE id.
 * TCP has no in-band exchange (Istio's ALPN variant is not implemented): the peer side of TCP
 * metrics stays `unknown`. Pure.
 */
import { tryParseSpiffeId } from '../../../api/src/spiffe';
import type { NodeInfo } from '../config/model';
import type { HeaderMap } from '../core/headers';
import type { RequestLabels, TcpLabels } from './metrics';

export const PeerMetadataHeader = 'x-skein-peer-metadata';

/** A workload as the metric labels show it; every field `unknown` when not known. */
export interface WorkloadLabels {
  workload: string;
  namespace: string;
  version: string;
}

export const UnknownWorkload: WorkloadLabels = Object.freeze({ workload: 'unknown', namespace: 'unknown', version: 'unknown' });

/** What Kubernetes allows in a label value (and so in a workload name, namespace or version), at most 63 characters. */
const labelValue = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const maxHeaderLength = 256;

export function ownWorkload(node: NodeInfo): WorkloadLabels {
  return { workload: node.workload ?? 'unknown', namespace: node.namespace ?? 'unknown', version: node.version ?? 'unknown' };
}

const formatted = new WeakMap<NodeInfo, string>();

/**
 * The header value this proxy sends: `workload=W,namespace=N,version=V`; a field whose value is not
 * a valid label value is left out (the peer then reads it as `unknown`). Cached per node object.
 */
export function formatPeerMetadata(node: NodeInfo): string {
  let text = formatted.get(node);
  if (text === undefined) {
    const own = ownWorkload(node);
    text = (['workload', 'namespace', 'version'] as const).filter((k) => labelValue.test(own[k]) && own[k] !== 'unknown').map((k) => `${k}=${own[k]}`).join(',');
    formatted.set(node, text);
  }
  return text;
}

/**
 * Reads a peer's header value. Undefined (the peer stays unknown) when it is absent, repeated, too
 * long, malformed, or names a namespace that is not one of `namespaces` (those of the SPIFFE ids the
 * peer's certificate was verified against).
 */
export function parsePeerMetadata(value: HeaderMap[string], namespaces: readonly string[]): WorkloadLabels | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxHeaderLength) return undefined;
  const out: WorkloadLabels = { ...UnknownWorkload };
  const seen = new Set<string>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (eq < 0 || seen.has(key) || !labelValue.test(v) || (key !== 'workload' && key !== 'namespace' && key !== 'version')) return undefined;
    seen.add(key);
    out[key] = v;
  }
  if (!namespaces.includes(out.namespace)) return undefined;
  return out;
}

/** Sets (outbound, upstream reached over mTLS) or leaves out this proxy's header on an upstream request. */
export function offerPeerMetadata(upstreamHeaders: HeaderMap, node: NodeInfo, upstreamMtls: boolean): void {
  if (upstreamMtls) upstreamHeaders[PeerMetadataHeader] = formatPeerMetadata(node);
  else delete upstreamHeaders[PeerMetadataHeader];
}

/**
 * The response side of the exchange, on the headers about to be sent downstream. Inbound: replaces
 * whatever the app sent with this proxy's own header when the downstream is a verified mTLS peer,
 * removes it otherwise. Outbound: takes the upstream sidecar's header (kept only when the upstream
 * was reached over mTLS; {@link requestLabels} checks its namespace) and removes it.
 * Returns the raw value taken (outbound), for {@link requestLabels}.
 */
export function answerPeerMetadata(responseHeaders: HeaderMap, node: NodeInfo, inbound: boolean, peerVerified: boolean): string | undefined {
  const received = responseHeaders[PeerMetadataHeader];
  delete responseHeaders[PeerMetadataHeader];
  if (inbound) {
    if (peerVerified) responseHeaders[PeerMetadataHeader] = formatPeerMetadata(node);
    return undefined;
  }
  return peerVerified && typeof received === 'string' ? received : undefined;
}

export interface RequestLabelInput {
  inbound: boolean;
  node: NodeInfo;
  /** Own SPIFFE id. */
  ownId: string | undefined;
  /** Inbound: the downstream's verified SPIFFE id. */
  peerId?: string | undefined;
  /** The peer's exchanged metadata header value (inbound: from the request; outbound: from the response). */
  peerMetadata?: HeaderMap[string];
  /** Outbound: the SPIFFE ids the upstream's certificate was checked against (the cluster's expected SANs). */
  upstreamSans?: readonly string[] | undefined;
}

/** Namespaces of SPIFFE ids (`spiffe://td/ns/<ns>/sa/<sa>`); ids of another shape are left out. */
function namespacesOf(ids: readonly (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const id of ids) {
    const ns = id === undefined ? undefined : tryParseSpiffeId(id)?.namespace;
    if (ns !== undefined) out.push(ns);
  }
  return out;
}

/** Source and destination labels shared by request and TCP metrics. */
export function workloadLabels(i: RequestLabelInput): TcpLabels {
  const own = ownWorkload(i.node);
  const peer = i.peerMetadata === undefined ? undefined : parsePeerMetadata(i.peerMetadata, namespacesOf(i.inbound ? [i.peerId] : (i.upstreamSans ?? [])));
  const other = peer ?? UnknownWorkload;
  const [src, dst] = i.inbound ? [other, own] : [own, other];
  return {
    reporter: i.inbound ? 'destination' : 'source',
    source_workload: src.workload,
    source_principal: i.inbound ? (i.peerId ?? 'unknown') : (i.ownId ?? 'unknown'),
    destination_workload: dst.workload,
    destination_service: 'unknown',
    destination_principal: i.inbound ? (i.ownId ?? 'unknown') : 'unknown',
    source_workload_namespace: src.namespace,
    source_version: src.version,
    destination_workload_namespace: dst.namespace,
    destination_version: dst.version,
  };
}

/** Labels of one HTTP request. */
export function requestLabels(i: RequestLabelInput & { cluster: string; status: number; flags: string; grpc: string }): RequestLabels {
  return {
    ...workloadLabels(i),
    destination_service: i.cluster || 'unknown',
    response_code: String(i.status),
    response_flags: i.flags,
    grpc_response_status: i.grpc,
  };
}

/** Labels of one TCP connection (no exchange: the peer side is unknown). */
export function tcpLabels(i: Omit<RequestLabelInput, 'peerMetadata' | 'upstreamSans'> & { cluster: string }): TcpLabels {
  return { ...workloadLabels(i), destination_service: i.cluster };
}
