/**
 * Prometheus metrics with Istio-like names (`skein_` instead of `istio_`), on a registry of their
 * own (several proxies may share a process in tests). Label sets are fixed here, in one place.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const requestLabels = ['reporter', 'source_workload', 'source_principal', 'destination_workload', 'destination_service', 'destination_principal', 'response_code', 'response_flags', 'grpc_response_status'] as const;
const tcpLabels = ['reporter', 'source_workload', 'source_principal', 'destination_workload', 'destination_service', 'destination_principal'] as const;

export type RequestLabels = Record<(typeof requestLabels)[number], string>;
export type TcpLabels = Record<(typeof tcpLabels)[number], string>;

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'skein_requests_total', help: 'HTTP/gRPC requests handled', labelNames: requestLabels, registers: [this.registry] });
  readonly duration = new Histogram({
    name: 'skein_request_duration_milliseconds', help: 'Request duration (first byte in to last byte out)', labelNames: requestLabels,
    buckets: [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000], registers: [this.registry],
  });
  readonly requestBytes = new Histogram({ name: 'skein_request_bytes', help: 'Request body size', labelNames: requestLabels, buckets: [1, 100, 1000, 10000, 100000, 1000000, 10000000], registers: [this.registry] });
  readonly responseBytes = new Histogram({ name: 'skein_response_bytes', help: 'Response body size', labelNames: requestLabels, buckets: [1, 100, 1000, 10000, 100000, 1000000, 10000000], registers: [this.registry] });
  readonly tcpOpened = new Counter({ name: 'skein_tcp_connections_opened_total', help: 'TCP connections opened', labelNames: tcpLabels, registers: [this.registry] });
  readonly tcpClosed = new Counter({ name: 'skein_tcp_connections_closed_total', help: 'TCP connections closed', labelNames: tcpLabels, registers: [this.registry] });
  readonly tcpSent = new Counter({ name: 'skein_tcp_sent_bytes_total', help: 'Bytes sent to the downstream on TCP connections', labelNames: tcpLabels, registers: [this.registry] });
  readonly tcpReceived = new Counter({ name: 'skein_tcp_received_bytes_total', help: 'Bytes received from the downstream on TCP connections', labelNames: tcpLabels, registers: [this.registry] });
  readonly configApplied = new Counter({ name: 'skein_config_applied_total', help: 'Config snapshots applied or rejected', labelNames: ['result'], registers: [this.registry] });
  readonly upstreamRetries = new Counter({ name: 'skein_upstream_retries_total', help: 'Retry decisions: retried, or why not (exhausted, overflow, body, method)', labelNames: ['cluster', 'result'], registers: [this.registry] });
  readonly outlierEjections = new Counter({ name: 'skein_outlier_ejections_total', help: 'Endpoints ejected by outlier detection', labelNames: ['cluster'], registers: [this.registry] });
  readonly downstreamErrors = new Counter({ name: 'skein_downstream_protocol_errors_total', help: 'Malformed requests and connections rejected', labelNames: ['listener', 'reason'], registers: [this.registry] });

  constructor(processMetrics = false) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'skein_proxy_' });
  }

  // prom-client hashes the label object on every call (sorting keys, building strings); the label
  // sets repeat, so the bound children are cached by a cheap key (bounded: cleared when it grows).
  private readonly children = new Map<string, { requests: ReturnType<Counter['labels']>; duration: ReturnType<Histogram['labels']>; requestBytes: ReturnType<Histogram['labels']>; responseBytes: ReturnType<Histogram['labels']> }>();

  recordRequest(labels: RequestLabels, durationMs: number, requestBytes: number, responseBytes: number): void {
    const key = requestLabels.map((k) => labels[k]).join('\u0000');
    let c = this.children.get(key);
    if (!c) {
      if (this.children.size >= 10_000) this.children.clear();
      c = { requests: this.requests.labels(labels), duration: this.duration.labels(labels), requestBytes: this.requestBytes.labels(labels), responseBytes: this.responseBytes.labels(labels) };
      this.children.set(key, c);
    }
    c.requests.inc();
    c.duration.observe(durationMs);
    c.requestBytes.observe(requestBytes);
    c.responseBytes.observe(responseBytes);
  }
}
