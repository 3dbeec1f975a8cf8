/**
 * The xDS Node this proxy presents (pure): id `sidecar~<podIP>~<pod>.<ns>~<ns>.svc.<domain>`,
 * metadata the control plane reads (namespace, labels, service account, local-mode outbound ports),
 * locality. Bad input throws NodeConfigError naming the setting.
 */
import { create } from '@bufbuild/protobuf';
import type { JsonObject } from '@bufbuild/protobuf';
import { NodeSchema, type Node } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import { DefaultTrustDomain, NodeMetadataPrometheusPort } from '../../../../api/src/names';
import { ipFamily } from '../../../../api/src/net';
import type { NodeInfo } from '../../config/model';

export class NodeConfigError extends Error {
  override name = 'NodeConfigError';
}

/** Node metadata keys (the operator's translator reads SKEIN_OUTBOUND_PORTS; the rest are Istio's names). */
export const NodeMetadataKeys = {
  namespace: 'NAMESPACE',
  labels: 'LABELS',
  serviceAccount: 'SERVICE_ACCOUNT',
  podName: 'NAME',
  instanceIps: 'INSTANCE_IPS',
  workloadName: 'WORKLOAD_NAME',
  outboundPorts: 'SKEIN_OUTBOUND_PORTS',
  inboundPorts: 'SKEIN_INBOUND_PORTS',
  prometheusPort: NodeMetadataPrometheusPort,
} as const;

export interface OutboundPort {
  /** Port the proxy listens on at 127.0.0.1. */
  listenPort: number;
  /** Service host as the app would name it (`echo.default`, `db`). */
  host: string;
  /** The service port it stands for. */
  servicePort: number;
}

export interface InboundPort {
  /** Port the proxy listens on at the pod IP (what peers' EndpointSlices list). */
  listenPort: number;
  /** The app's port on 127.0.0.1. */
  appPort: number;
}

export interface NodeSettings {
  podName: string;
  namespace: string;
  podIp: string;
  /** Cluster DNS domain. Default `cluster.local`. */
  clusterDomain?: string;
  serviceAccount?: string;
  labels?: Record<string, string>;
  /** Local mode: explicit outbound listeners. */
  outboundPorts?: OutboundPort[];
  /** Local mode: explicit inbound listeners on the pod IP. */
  inboundPorts?: InboundPort[];
  locality?: { region?: string; zone?: string; subzone?: string };
  /** Where this proxy serves Prometheus metrics (on its pod IP), for the control plane's dashboard. */
  prometheusPort?: number;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function portNumber(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) throw new NodeConfigError(`${what}: "${text}" is not a port (1-65535)`);
  return n;
}

/** `15101=echo.default:8080,15102=db:5432` (the form the operator reads). */
export function parseOutboundPorts(spec: string): OutboundPort[] {
  const out: OutboundPort[] = [];
  const seen = new Set<number>();
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=([^:=\s]+):([^:=\s]+)$/.exec(raw);
    if (!m) throw new NodeConfigError(`outbound ports: "${raw}" is not LOCAL_PORT=HOST:PORT (e.g. 15101=echo.default:8080)`);
    const listenPort = portNumber(m[1]!, `outbound ports: "${raw}"`);
    if (seen.has(listenPort)) throw new NodeConfigError(`outbound ports: local port ${listenPort} is listed twice`);
    seen.add(listenPort);
    out.push({ listenPort, host: m[2]!, servicePort: portNumber(m[3]!, `outbound ports: "${raw}"`) });
  }
  return out;
}

/** `15106=9080,15107=9090` (listen port = app port, the form the operator reads). */
export function parseInboundPorts(spec: string): InboundPort[] {
  const out: InboundPort[] = [];
  const seen = new Set<number>();
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=([^=]+)$/.exec(raw);
    if (!m) throw new NodeConfigError(`inbound ports: "${raw}" is not LISTEN_PORT=APP_PORT (e.g. 15106=9080)`);
    const listenPort = portNumber(m[1]!.trim(), `inbound ports: "${raw}"`);
    const appPort = portNumber(m[2]!.trim(), `inbound ports: "${raw}"`);
    if (listenPort === appPort) throw new NodeConfigError(`inbound ports: "${raw}": the listen port must differ from the app port`);
    if (seen.has(listenPort)) throw new NodeConfigError(`inbound ports: listen port ${listenPort} is listed twice`);
    seen.add(listenPort);
    out.push({ listenPort, appPort });
  }
  return out;
}

export function formatInboundPorts(ports: readonly InboundPort[]): string {
  return ports.map((p) => `${p.listenPort}=${p.appPort}`).join(',');
}

export function formatOutboundPorts(ports: readonly OutboundPort[]): string {
  return ports.map((p) => `${p.listenPort}=${p.host}:${p.servicePort}`).join(',');
}

export function nodeId(s: NodeSettings): string {
  return `sidecar~${s.podIp}~${s.podName}.${s.namespace}~${s.namespace}.svc.${s.clusterDomain ?? DefaultTrustDomain}`;
}

function check(s: NodeSettings): void {
  if (!dnsSubdomain.test(s.podName)) throw new NodeConfigError(`pod name "${s.podName}" is not a DNS subdomain`);
  if (!dnsLabel.test(s.namespace)) throw new NodeConfigError(`namespace "${s.namespace}" is not a DNS label`);
  if (!ipFamily(s.podIp)) throw new NodeConfigError(`pod IP "${s.podIp}" is not an IP address`);
  const domain = s.clusterDomain ?? DefaultTrustDomain;
  if (!dnsSubdomain.test(domain)) throw new NodeConfigError(`cluster domain "${domain}" is not a DNS name`);
  if (s.serviceAccount !== undefined && !dnsSubdomain.test(s.serviceAccount)) throw new NodeConfigError(`service account "${s.serviceAccount}" is not a DNS subdomain`);
}

/** Workload name for metrics: the `app` label, else the pod name. */
export function workloadName(s: NodeSettings): string {
  return s.labels?.app ?? s.podName;
}

export function buildNode(s: NodeSettings): Node {
  check(s);
  const metadata: JsonObject = {
    [NodeMetadataKeys.namespace]: s.namespace,
    [NodeMetadataKeys.podName]: s.podName,
    [NodeMetadataKeys.instanceIps]: s.podIp,
    [NodeMetadataKeys.workloadName]: workloadName(s),
    [NodeMetadataKeys.labels]: { ...(s.labels ?? {}) },
  };
  if (s.serviceAccount) metadata[NodeMetadataKeys.serviceAccount] = s.serviceAccount;
  if (s.outboundPorts?.length) metadata[NodeMetadataKeys.outboundPorts] = formatOutboundPorts(s.outboundPorts);
  if (s.inboundPorts?.length) metadata[NodeMetadataKeys.inboundPorts] = formatInboundPorts(s.inboundPorts);
  if (s.prometheusPort !== undefined) metadata[NodeMetadataKeys.prometheusPort] = String(s.prometheusPort);
  return create(NodeSchema, {
    id: nodeId(s),
    cluster: `${workloadName(s)}.${s.namespace}`,
    metadata,
    userAgentName: 'skein-proxy',
    ...(s.locality ? { locality: { region: s.locality.region ?? '', zone: s.locality.zone ?? '', subZone: s.locality.subzone ?? '' } } : {}),
  });
}

export function nodeInfo(s: NodeSettings): NodeInfo {
  return { id: nodeId(s), workload: workloadName(s), namespace: s.namespace, ...(s.labels?.version ? { version: s.labels.version } : {}) };
}

/** listen port → service port, for the listener translation. */
export function explicitOutboundPorts(ports: readonly OutboundPort[] | undefined): Map<number, number> {
  return new Map((ports ?? []).map((p) => [p.listenPort, p.servicePort]));
}
