/**
 * Passive health checking (Envoy outlier detection, pure): counts consecutive 5xx and gateway
 * errors per endpoint, ejects an endpoint that reaches a threshold for
 * `baseEjectionTime × times ejected` (capped), never ejects more than `maxEjectionPercent` of the
 * cluster (but always allows one), returns endpoints on the interval sweep, and falls back to
 * every endpoint when too few are healthy (panic threshold). The caller passes the time in and
 * calls `sweep` every `intervalMs`.
 */

export interface OutlierSettings {
  /** Consecutive 5xx (gateway errors and connection failures included) before ejection; 0 = off. */
  consecutive5xx: number;
  /** Consecutive 502/503/504 or connection failures before ejection; 0 = off. */
  consecutiveGatewayErrors: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  /** Cap on one ejection's duration (Envoy max_ejection_time, default 300 s). */
  maxEjectionTimeMs: number;
  maxEjectionPercent: number;
}

/** One attempt's result on an endpoint. */
export type HostResult = 'success' | 'gateway-error' | 'error-5xx';

/** Classifies an upstream response status (connection failures are `gateway-error`, as Envoy maps them to 503). */
export function hostResultForStatus(status: number): HostResult {
  if (status === 502 || status === 503 || status === 504) return 'gateway-error';
  if (status >= 500) return 'error-5xx';
  return 'success';
}

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  /** Times ejected; grows with each ejection, shrinks by one each sweep the host is healthy. */
  ejections: number;
  /** Time the current ejection ends; undefined when not ejected. */
  ejectedUntil?: number;
}

export class OutlierDetector {
  private readonly hosts = new Map<string, HostState>();
  private ejectedCount = 0;

  constructor(private readonly settings: OutlierSettings) {}

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) this.hosts.set(host, (s = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0 }));
    return s;
  }

  /**
   * Records one result on `host` of a cluster with `hostCount` endpoints. Returns true when this
   * result ejected the host.
   */
  record(host: string, result: HostResult, now: number, hostCount: number): boolean {
    const s = this.state(host);
    if (result === 'success') {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return false;
    }
    s.consecutive5xx++;
    if (result === 'gateway-error') s.consecutiveGateway++;
    else s.consecutiveGateway = 0;
    if (s.ejectedUntil !== undefined) return false;
    const { consecutive5xx, consecutiveGatewayErrors } = this.settings;
    const tripped = (consecutive5xx > 0 && s.consecutive5xx >= consecutive5xx) || (consecutiveGatewayErrors > 0 && s.consecutiveGateway >= consecutiveGatewayErrors);
    if (!tripped || !this.mayEject(hostCount)) return false;
    s.ejections++;
    s.ejectedUntil = now + Math.min(this.settings.baseEjectionTimeMs * s.ejections, Math.max(this.settings.maxEjectionTimeMs, this.settings.baseEjectionTimeMs));
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    this.ejectedCount++;
    return true;
  }

  /** Envoy: eject while (ejected + 1) / hosts stays within the percentage, and always the first one. */
  private mayEject(hostCount: number): boolean {
    if (this.ejectedCount === 0) return true;
    return (100 * (this.ejectedCount + 1)) / Math.max(hostCount, 1) <= this.settings.maxEjectionPercent;
  }

  isEjected(host: string): boolean {
    return this.hosts.get(host)?.ejectedUntil !== undefined;
  }

  get ejected(): number {
    return this.ejectedCount;
  }

  /** The interval sweep: returns hosts whose ejection ended, and decays the multiplier of healthy hosts. */
  sweep(now: number): string[] {
    const returned: string[] = [];
    for (const [host, s] of this.hosts) {
      if (s.ejectedUntil !== undefined) {
        if (now >= s.ejectedUntil) {
          s.ejectedUntil = undefined;
          this.ejectedCount--;
          returned.push(host);
        }
      } else if (s.ejections > 0) {
        s.ejections--;
      }
    }
    return returned;
  }

  /** Forget endpoints that left the cluster (EDS update). */
  retain(hosts: Iterable<string>): void {
    const keep = new Set(hosts);
    for (const [host, s] of this.hosts) {
      if (keep.has(host)) continue;
      if (s.ejectedUntil !== undefined) this.ejectedCount--;
      this.hosts.delete(host);
    }
  }
}

/**
 * The endpoints load balancing may use: those not ejected, unless fewer than
 * `panicThresholdPercent` of all are left — then all of them (Envoy's panic mode), as a
 * degraded cluster is better served by every host than overloading the few left.
 */
export function usableHosts<T>(hosts: readonly T[], ejected: (h: T) => boolean, panicThresholdPercent: number): { hosts: readonly T[]; panic: boolean } {
  const healthy = hosts.filter((h) => !ejected(h));
  if (healthy.length === hosts.length) return { hosts, panic: false };
  if (hosts.length > 0 && (100 * healthy.length) / hosts.length < panicThresholdPercent) return { hosts, panic: true };
  return { hosts: healthy, panic: false };
}
