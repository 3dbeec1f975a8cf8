/**
 * Active HTTP health checking (pure), Envoy's health_checks with an http_health_check: each
 * endpoint is probed every interval; `unhealthyThreshold` failed probes in a row (non-2xx, error or
 * timeout) mark it unhealthy, `healthyThreshold` passed probes in a row mark it healthy again.
 * Endpoints start healthy (Skein does not hold back traffic until the first probe, unlike Envoy's
 * default), so enabling checks never causes an outage by itself.
 */

export type ProbeResult = 'pass' | 'fail';

export function probeResultForStatus(status: number): ProbeResult {
  return status >= 200 && status < 300 ? 'pass' : 'fail';
}

interface HostHealth {
  healthy: boolean;
  fails: number;
  passes: number;
}

export class HealthTracker {
  private readonly hosts = new Map<string, HostHealth>();

  constructor(private readonly unhealthyThreshold: number, private readonly healthyThreshold: number) {}

  /** Records a probe; returns the host's new state when it changed. */
  record(host: string, result: ProbeResult): 'healthy' | 'unhealthy' | undefined {
    let h = this.hosts.get(host);
    if (!h) this.hosts.set(host, (h = { healthy: true, fails: 0, passes: 0 }));
    if (result === 'pass') {
      h.fails = 0;
      h.passes++;
      if (!h.healthy && h.passes >= this.healthyThreshold) {
        h.healthy = true;
        return 'healthy';
      }
      return undefined;
    }
    h.passes = 0;
    h.fails++;
    if (h.healthy && h.fails >= this.unhealthyThreshold) {
      h.healthy = false;
      return 'unhealthy';
    }
    return undefined;
  }

  isUnhealthy(host: string): boolean {
    return this.hosts.get(host)?.healthy === false;
  }

  /** Forget endpoints that left the cluster. */
  retain(hosts: Iterable<string>): void {
    const keep = new Set(hosts);
    for (const host of this.hosts.keys()) if (!keep.has(host)) this.hosts.delete(host);
  }
}
