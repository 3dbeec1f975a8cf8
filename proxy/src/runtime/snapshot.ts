/**
 * An applied configuration: the validated model plus what the data plane needs to look things up
 * fast (maps by name, load-balancer pickers over healthy endpoints). Immutable; `Proxy.applyConfig`
 * builds a new one and swaps it, so a request that started on the old one finishes on it.
 */
import type { Cluster, FilterChain, LbEndpoint, Listener, ProxyConfig, RouteConfiguration } from '../config/model';
import { createPicker, type PickContext, type Picker } from '../core/lb';

export class ClusterRuntime {
  /** Endpoints that may receive traffic (health `healthy` or `unknown`). */
  readonly endpoints: readonly LbEndpoint[];
  readonly allEndpoints: readonly LbEndpoint[];
  private readonly byKey = new Map<string, LbEndpoint>();
  private readonly picker: Picker;

  constructor(readonly config: Cluster, endpoints: readonly LbEndpoint[]) {
    this.allEndpoints = endpoints;
    this.endpoints = endpoints.filter((e) => e.health === undefined || e.health === 'healthy' || e.health === 'unknown');
    for (const e of this.endpoints) this.byKey.set(endpointKey(e), e);
    this.picker = createPicker(
      config.lbPolicy ?? 'round-robin',
      this.endpoints.map((e) => ({ key: endpointKey(e), weight: e.weight ?? 1 })),
      config.ringSize,
    );
  }

  pick(ctx: PickContext): LbEndpoint | undefined {
    const host = this.picker.pick(ctx);
    return host && this.byKey.get(host.key);
  }
}

export function endpointKey(e: { address: string; port: number }): string {
  return `${e.address}:${e.port}`;
}

export class Snapshot {
  readonly routeConfigs = new Map<string, RouteConfiguration>();
  readonly clusters = new Map<string, ClusterRuntime>();
  readonly listeners = new Map<string, Listener>();

  constructor(readonly config: ProxyConfig) {
    for (const r of config.routeConfigs) this.routeConfigs.set(r.name, r);
    const eds = new Map(config.endpoints.map((e) => [e.clusterName, e.endpoints]));
    for (const c of config.clusters) this.clusters.set(c.name, new ClusterRuntime(c, c.type === 'static' ? (c.endpoints ?? []) : (eds.get(c.name) ?? [])));
    for (const l of config.listeners) this.listeners.set(l.name, l);
  }

  /** The chain of that name in this snapshot's version of the listener (undefined if removed). */
  chain(listenerName: string, chainName: string): FilterChain | undefined {
    const l = this.listeners.get(listenerName);
    if (!l) return undefined;
    if (l.defaultChain?.name === chainName) return l.defaultChain;
    return l.filterChains.find((c) => c.name === chainName);
  }
}
