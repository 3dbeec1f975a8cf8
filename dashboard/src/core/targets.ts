/**
 * The proxies the control plane knows over xDS, read for the dashboard (pure): which workload each
 * one is (node metadata `WORKLOAD_NAME`, `NAMESPACE`, `LABELS.version`, `SERVICE_ACCOUNT`, the names
 * Istio uses) and where its Prometheus endpoint is: the pod IP of its node id and the port in
 * `SKEIN_PROMETHEUS_PORT` (local-mode proxies choose their own; absent: 15090). Proxyless gRPC
 * clients (`GENERATOR=grpc`) have no metrics endpoint and are not scraped.
 */
import { NodeMetadataPrometheusPort, ProxyPorts } from '../../../api/src/names';
import { type WorkloadRef } from './graph';

/** A proxy as the control plane knows it: its parsed node id and the metadata it sent. */
export interface KnownProxy {
  id: string;
  ip: string;
  pod: string;
  namespace: string;
  metadata: Readonly<Record<string, unknown>>;
}

export interface ProxyTarget {
  id: string;
  pod: string;
  namespace: string;
  workload: WorkloadRef;
  serviceAccount: string | undefined;
  /** `http://<pod IP>:<port>/stats/prometheus`; undefined when the proxy is not scraped. */
  metricsUrl: string | undefined;
  /** Why it is not scraped, or why its metadata was not used as sent. */
  note?: string;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function proxyTarget(p: KnownProxy): ProxyTarget {
  const m = p.metadata;
  const labels = m.LABELS !== null && typeof m.LABELS === 'object' ? (m.LABELS as Record<string, unknown>) : {};
  const workload: WorkloadRef = {
    workload: text(m.WORKLOAD_NAME) ?? text(labels.app) ?? p.pod,
    namespace: p.namespace,
    version: text(labels.version) ?? 'unknown',
  };
  const base = { id: p.id, pod: p.pod, namespace: p.namespace, workload, serviceAccount: text(m.SERVICE_ACCOUNT) };
  if (m.GENERATOR === 'grpc') return { ...base, metricsUrl: undefined, note: 'proxyless gRPC client: no metrics endpoint' };
  const raw = m[NodeMetadataPrometheusPort];
  let port: number = ProxyPorts.prometheus;
  let note: string | undefined;
  if (raw !== undefined) {
    const n = typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (n >= 1 && n <= 65535) port = n;
    else note = `node metadata ${NodeMetadataPrometheusPort} is not a port (1-65535); using ${port}`;
  }
  const host = p.ip.includes(':') ? `[${p.ip}]` : p.ip;
  return { ...base, metricsUrl: `http://${host}:${port}/stats/prometheus`, ...(note ? { note } : {}) };
}
