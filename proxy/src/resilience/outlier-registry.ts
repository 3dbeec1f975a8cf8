/**
 * One outlier detector per cluster (proxy/src/core/resilience/outlier.ts), created from the
 * cluster's config and swept every `intervalMs` by an unref'd timer. A new snapshot with a
 * changed outlier config for a cluster starts that cluster afresh (Envoy does the same when a
 * cluster is updated).
 */
import type { Cluster, OutlierDetection } from '../config/model';
import { OutlierDetector } from '../core/resilience/outlier';

interface Entry {
  config: OutlierDetection;
  detector: OutlierDetector;
  timer: NodeJS.Timeout;
}

export class OutlierRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number, private readonly onEject?: (cluster: string, host: string) => void) {}

  /** The cluster's detector, or undefined when it has no outlier detection configured. */
  detector(cluster: Cluster): OutlierDetector | undefined {
    const od = cluster.outlierDetection;
    const entry = this.entries.get(cluster.name);
    if (entry && entry.config === od) return entry.detector;
    if (entry) {
      clearInterval(entry.timer);
      this.entries.delete(cluster.name);
    }
    if (!od) return undefined;
    const detector = new OutlierDetector({
      consecutive5xx: od.consecutive5xx ?? 5,
      consecutiveGatewayErrors: od.consecutiveGatewayErrors ?? 0,
      intervalMs: od.intervalMs ?? 10_000,
      baseEjectionTimeMs: od.baseEjectionTimeMs ?? 30_000,
      maxEjectionTimeMs: od.maxEjectionTimeMs ?? 300_000,
      maxEjectionPercent: od.maxEjectionPercent ?? 10,
    });
    const timer = setInterval(() => detector.sweep(this.now()), od.intervalMs ?? 10_000);
    timer.unref();
    this.entries.set(cluster.name, { config: od, detector, timer });
    return detector;
  }

  /** Records one attempt's result; reports an ejection to `onEject`. */
  record(cluster: Cluster, host: string, result: Parameters<OutlierDetector['record']>[1], hostCount: number): void {
    const d = this.detector(cluster);
    if (d?.record(host, result, this.now(), hostCount)) this.onEject?.(cluster.name, host);
  }

  close(): void {
    for (const e of this.entries.values()) clearInterval(e.timer);
    this.entries.clear();
  }
}
