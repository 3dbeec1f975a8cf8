/**
 * Active HTTP health checks per cluster (proxy/src/core/resilience/health-check.ts decides): every
 * `intervalMs`, a GET of the check path to each endpoint over the cluster's own transport (mTLS to a
 * sidecar), 2xx within `timeoutMs` passes. A cluster starts being checked when it first carries a
 * request; its timer is unref'd and replaced when the cluster's check config changes.
 */
import type { Cluster, HealthCheck, LbEndpoint } from '../config/model';
import { serializeRequestHead } from '../core/http1';
import { HealthTracker, type ProbeResult, probeResultForStatus } from '../core/resilience/health-check';
import { endpointKey } from '../runtime/snapshot';
import type { Upstreams } from '../upstream/upstreams';

interface Entry {
  config: HealthCheck;
  cluster: Cluster;
  tracker: HealthTracker;
  endpoints: readonly LbEndpoint[];
  timer: NodeJS.Timeout;
}

export class HealthCheckRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly upstreams: Upstreams, private readonly onChange?: (cluster: string, host: string, state: 'healthy' | 'unhealthy') => void) {}

  /** The cluster's health tracker (undefined without checks); keeps its endpoint list current. */
  tracker(cluster: Cluster, endpoints: readonly LbEndpoint[]): HealthTracker | undefined {
    const hc = cluster.healthCheck;
    let entry = this.entries.get(cluster.name);
    if (entry && entry.config !== hc) {
      clearInterval(entry.timer);
      this.entries.delete(cluster.name);
      entry = undefined;
    }
    if (!hc) return undefined;
    if (!entry) {
      const created: Entry = { config: hc, cluster, tracker: new HealthTracker(hc.unhealthyThreshold, hc.healthyThreshold), endpoints, timer: setInterval(() => this.probeAll(created), hc.intervalMs) };
      created.timer.unref();
      this.entries.set(cluster.name, created);
      return created.tracker;
    }
    if (entry.endpoints !== endpoints) {
      entry.endpoints = endpoints;
      entry.tracker.retain(endpoints.map(endpointKey));
    }
    return entry.tracker;
  }

  private probeAll(entry: Entry): void {
    for (const ep of entry.endpoints) this.probe(entry, ep);
  }

  private probe(entry: Entry, ep: LbEndpoint): void {
    const host = endpointKey(ep);
    let settled = false;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const change = entry.tracker.record(host, result);
      if (change) this.onChange?.(entry.cluster.name, host, change);
    };
    const timer = setTimeout(() => {
      abort?.();
      settle('fail');
    }, entry.config.timeoutMs);
    timer.unref();
    let abort: (() => void) | undefined;
    try {
      const head = serializeRequestHead('GET', entry.config.path, host, { 'user-agent': 'skein-health-check' }, { kind: 'none' });
      const handle = this.upstreams.sendHttp1(entry.cluster, ep, {}, 'GET', head, undefined, false, {
        onHead: (status) => settle(probeResultForStatus(status)),
        onData: () => true,
        onEnd: () => undefined,
        onError: () => settle('fail'),
      });
      abort = handle.abort;
    } catch {
      settle('fail');
    }
  }

  close(): void {
    for (const e of this.entries.values()) clearInterval(e.timer);
    this.entries.clear();
  }
}
