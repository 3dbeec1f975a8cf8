/**
 * Prometheus metrics with Istio-like names (`skein_` instead of `istio_`), on a registry of their
 * own (several proxies may share a process in tests). Label sets are fixed here, in one place.
 * Per-request and per-connection metrics are `Series*` metrics (plain arrays, formatted on scrape);
 * the rare ones (config, retries, ejections, protocol errors) stay ordinary prom-client counters.
 */
import { Counter, Registry, collectProcessMetrics } from './prom';
import { SeriesCounter, SeriesHistogram, SeriesIndex } from './series-metrics';

/** Istio's names; the workload labels are filled by workload-labels.ts (own node + metadata exchange). */
const workloadLabelNames = ['source_workload_namespace', 'source_version', 'destination_workload_namespace', 'destination_version'] as const;
const tcpLabels = ['reporter', 'source_workload', 'source_principal', 'destination_workload', 'destination_service', 'destination_principal', ...workloadLabelNames] as const;
const requestLabels = ['reporter', 'source_workload', 'source_principal', 'destination_workload', 'destination_service', 'destination_principal', 'response_code', 'response_flags', 'grpc_response_status', ...workloadLabelNames] as const;

export type RequestLabels = Record<(typeof requestLabels)[number], string>;
export type TcpLabels = Record<(typeof tcpLabels)[number], string>;

export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requestSeries = new SeriesIndex(requestLabels);
  readonly requests = new SeriesCounter({ name: 'skein_requests_total', help: 'HTTP/gRPC requests handled', labelNames: requestLabels, index: this.requestSeries, registers: [this.registry] });
  readonly duration = new SeriesHistogram({
    name: 'skein_request_duration_milliseconds', help: 'Request duration (first byte in to last byte out)', labelNames: requestLabels, index: this.requestSeries,
    buckets: [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000], registers: [this.registry],
  });
  readonly requestBytes = new SeriesHistogram({ name: 'skein_request_bytes', help: 'Request body size', labelNames: requestLabels, index: this.requestSeries, buckets: [1, 100, 1000, 10000, 100000, 1000000, 10000000], registers: [this.registry] });
  readonly responseBytes = new SeriesHistogram({ name: 'skein_response_bytes', help: 'Response body size', labelNames: requestLabels, index: this.requestSeries, buckets: [1, 100, 1000, 10000, 100000, 1000000, 10000000], registers: [this.registry] });
  private readonly tcpSeries = new SeriesIndex(tcpLabels);
  readonly tcpOpened = new SeriesCounter({ name: 'skein_tcp_connections_opened_total', help: 'TCP connections opened', labelNames: tcpLabels, index: this.tcpSeries, registers: [this.registry] });
  readonly tcpClosed = new SeriesCounter({ name: 'skein_tcp_connections_closed_total', help: 'TCP connections closed', labelNames: tcpLabels, index: this.tcpSeries, registers: [this.registry] });
  readonly tcpSent = new SeriesCounter({ name: 'skein_tcp_sent_bytes_total', help: 'Bytes sent to the downstream on TCP connections', labelNames: tcpLabels, index: this.tcpSeries, registers: [this.registry] });
  readonly tcpReceived = new SeriesCounter({ name: 'skein_tcp_received_bytes_total', help: 'Bytes received from the downstream on TCP connections', labelNames: tcpLabels, index: this.tcpSeries, registers: [this.registry] });
  readonly configApplied = new Counter({ name: 'skein_config_applied_total', help: 'Config snapshots applied or rejected', labelNames: ['result'], registers: [this.registry] });
  readonly upstreamRetries = new Counter({ name: 'skein_upstream_retries_total', help: 'Retry decisions: retried, or why not (exhausted, overflow, body, method)', labelNames: ['cluster', 'result'], registers: [this.registry] });
  readonly outlierEjections = new Counter({ name: 'skein_outlier_ejections_total', help: 'Endpoints ejected by outlier detection', labelNames: ['cluster'], registers: [this.registry] });
  readonly downstreamErrors = new Counter({ name: 'skein_downstream_protocol_errors_total', help: 'Malformed requests and connections rejected', labelNames: ['listener', 'reason'], registers: [this.registry] });

  constructor(processMetrics = false) {
    if (processMetrics) collectProcessMetrics(this.registry, 'skein_proxy_');
  }

  /** One request: the label tuple is interned once and shared by the four request metrics. */
  recordRequest(labels: RequestLabels, durationMs: number, requestBytes: number, responseBytes: number): void {
    this.recordRequestIn(this.requestSeriesOf(labels), durationMs, requestBytes, responseBytes);
  }

  /** The series of a request label tuple, for callers that keep it (the same tuple, request after request). */
  requestSeriesOf(labels: RequestLabels): number {
    return this.requestSeries.indexOf(labels);
  }

  /** One request in a series from {@link requestSeriesOf}. */
  recordRequestIn(series: number, durationMs: number, requestBytes: number, responseBytes: number): void {
    this.requests.incSeries(series);
    this.duration.observeSeries(series, durationMs);
    this.requestBytes.observeSeries(series, requestBytes);
    this.responseBytes.observeSeries(series, responseBytes);
  }

  /** A TCP connection opened; returns its series, for {@link recordTcpClosed}. */
  recordTcpOpened(labels: TcpLabels): number {
    const series = this.tcpSeries.indexOf(labels);
    this.tcpOpened.incSeries(series);
    return series;
  }

  /** A TCP connection closed, with the bytes received from and sent to the downstream. */
  recordTcpClosed(series: number, receivedBytes: number, sentBytes: number): void {
    this.tcpClosed.incSeries(series);
    this.tcpReceived.incSeries(series, receivedBytes);
    this.tcpSent.incSeries(series, sentBytes);
  }
}
