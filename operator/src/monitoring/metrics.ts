/** The control plane's Prometheus metrics (own registry, served on /metrics). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly pushes = new Counter({ name: 'skein_xds_pushes_total', help: 'xDS responses sent, by type', labelNames: ['type'], registers: [this.registry] });
  readonly pushSeconds = new Histogram({
    name: 'skein_xds_push_seconds', help: 'Time to encode and send one xDS response', labelNames: ['type'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5], registers: [this.registry],
  });
  readonly recomputeSeconds = new Histogram({
    name: 'skein_controlplane_recompute_seconds', help: 'Time to translate and set snapshots for every connected proxy after a change',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10], registers: [this.registry],
  });
  readonly connectedProxies = new Gauge({ name: 'skein_xds_connected_proxies', help: 'Proxies with an open ADS stream', registers: [this.registry] });
  readonly nacks = new Counter({ name: 'skein_xds_nacks_total', help: 'xDS responses rejected by proxies, by type', labelNames: ['type'], registers: [this.registry] });
  readonly configErrors = new Gauge({ name: 'skein_config_errors', help: 'Configuration problems currently reported (invalid files, objects, cross-resource problems)', registers: [this.registry] });
  readonly snapshotRejections = new Counter({ name: 'skein_snapshot_rejections_total', help: 'Snapshots refused by the consistency check', registers: [this.registry] });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` → `Cluster` (short label values). */
export function shortType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}
