/**
 * What one namespace can see: visible services and, for each, the VirtualService and
 * DestinationRule that apply. Shared by translation and `analyze`, so both resolve hosts the same way.
 */
import { selectorMatches } from '../kube';
import { type EndpointModel, type MeshModel, type PolicyObject, type ServiceModel, isVisible, serviceKey } from '../model';
import { type Destination, type DestinationRuleSpec, type Subset, type TrafficPolicy, type VirtualServiceSpec } from '../policy-types';

/** Expands a host as written in a policy in `namespace` to a service FQDN (Istio's short-name rules). */
export function expandHost(host: string, namespace: string, clusterDomain: string): string {
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.${clusterDomain}`;
  if (parts.length === 2) return `${host}.svc.${clusterDomain}`;
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.${clusterDomain}`;
  return host;
}

/** Policies by the FQDN they apply to, oldest first; computed once per model. */
interface HostIndex {
  virtualServices: Map<string, PolicyObject<VirtualServiceSpec>[]>;
  destinationRules: Map<string, PolicyObject<DestinationRuleSpec>[]>;
}

const hostIndexes = new WeakMap<MeshModel, HostIndex>();

function hostIndex(model: MeshModel): HostIndex {
  let index = hostIndexes.get(model);
  if (!index) {
    index = { virtualServices: new Map(), destinationRules: new Map() };
    const add = <T>(map: Map<string, T[]>, fqdn: string, value: T) => {
      const list = map.get(fqdn) ?? [];
      if (!list.includes(value)) list.push(value);
      map.set(fqdn, list);
    };
    for (const vs of model.virtualServices) {
      if (!appliesToSidecars(vs.spec)) continue;
      for (const h of vs.spec.hosts ?? []) add(index.virtualServices, expandHost(h, vs.namespace, model.clusterDomain), vs);
    }
    for (const dr of model.destinationRules) add(index.destinationRules, expandHost(dr.spec.host, dr.namespace, model.clusterDomain), dr);
    hostIndexes.set(model, index);
  }
  return index;
}

export class MeshScope {
  readonly services: ServiceModel[];
  private readonly byFqdn = new Map<string, ServiceModel>();
  private readonly vsCache = new Map<string, PolicyObject<VirtualServiceSpec> | undefined>();
  private readonly drCache = new Map<string, PolicyObject<DestinationRuleSpec> | undefined>();

  /**
   * @param workloadLabels labels of the proxy's workload, for `sourceLabels` matches; undefined when no
   * VirtualService uses them (then the scope is shared by the whole namespace).
   */
  constructor(readonly model: MeshModel, readonly namespace: string, readonly workloadLabels?: Record<string, string>) {
    this.services = model.services.filter((s) => isVisible(s.exportTo, s.namespace, namespace));
    for (const s of this.services) this.byFqdn.set(s.fqdn, s);
  }

  /** The visible service a host (as written in `fromNamespace`) names, if any. */
  service(host: string, fromNamespace: string): ServiceModel | undefined {
    return this.byFqdn.get(expandHost(host, fromNamespace, this.model.clusterDomain));
  }

  endpoints(service: ServiceModel): EndpointModel[] {
    return this.model.endpoints.get(serviceKey(service)) ?? [];
  }

  /** The VirtualService routing to this service for sidecars of this namespace (oldest wins). */
  virtualService(service: ServiceModel): PolicyObject<VirtualServiceSpec> | undefined {
    if (!this.vsCache.has(service.fqdn)) {
      const found = hostIndex(this.model).virtualServices.get(service.fqdn)?.find((vs) => isVisible(vs.spec.exportTo, vs.namespace, this.namespace));
      this.vsCache.set(service.fqdn, found);
    }
    return this.vsCache.get(service.fqdn);
  }

  /** The DestinationRule for this service: own namespace first, then the service's, then the root's. */
  destinationRule(service: ServiceModel): PolicyObject<DestinationRuleSpec> | undefined {
    if (!this.drCache.has(service.fqdn)) {
      const candidates = (hostIndex(this.model).destinationRules.get(service.fqdn) ?? []).filter((dr) => isVisible(dr.spec.exportTo, dr.namespace, this.namespace));
      const rank = (dr: PolicyObject<DestinationRuleSpec>) =>
        dr.namespace === this.namespace ? 0 : dr.namespace === service.namespace ? 1 : dr.namespace === this.model.rootNamespace ? 2 : 3;
      const best = candidates.reduce<PolicyObject<DestinationRuleSpec> | undefined>((a, b) => (!a || rank(b) < rank(a) ? b : a), undefined);
      this.drCache.set(service.fqdn, best);
    }
    return this.drCache.get(service.fqdn);
  }

  subset(service: ServiceModel, name: string): Subset | undefined {
    return this.destinationRule(service)?.spec.subsets?.find((s) => s.name === name);
  }
}

function appliesToSidecars(spec: VirtualServiceSpec): boolean {
  return !spec.gateways || spec.gateways.length === 0 || spec.gateways.includes('mesh');
}

export type ResolvedDestination =
  | { ok: true; service: ServiceModel; port: number; subset: string }
  | { ok: false; reason: string };

/**
 * A route destination → service, port and subset. `defaultPort` is the port of the route being
 * built (used when the destination names none and the service has several).
 */
export function resolveDestination(scope: MeshScope, dest: Destination, fromNamespace: string, defaultPort?: number): ResolvedDestination {
  const service = scope.service(dest.host, fromNamespace);
  if (!service) return { ok: false, reason: `host "${dest.host}" is not a known service` };
  let port = dest.port?.number;
  if (port === undefined) {
    if (service.ports.length === 1) port = service.ports[0]!.port;
    else if (defaultPort !== undefined && service.ports.some((p) => p.port === defaultPort)) port = defaultPort;
    else return { ok: false, reason: `destination "${dest.host}" needs port.number: the service has ${service.ports.length} ports` };
  }
  if (!service.ports.some((p) => p.port === port)) return { ok: false, reason: `service ${service.fqdn} has no port ${port}` };
  const subset = dest.subset ?? '';
  if (subset !== '' && !scope.subset(service, subset)) {
    return { ok: false, reason: `subset "${subset}" of ${service.fqdn} is not defined by any DestinationRule` };
  }
  return { ok: true, service, port, subset };
}

type PolicyPart = Omit<TrafficPolicy, 'portLevelSettings'>;

/** The traffic policy for one cluster: DR policy, its port-level settings, then the subset's (each field replaces). */
export function effectiveTrafficPolicy(dr: DestinationRuleSpec | undefined, port: number, subset: string): PolicyPart {
  if (!dr) return {};
  const layers: (TrafficPolicy | undefined)[] = [dr.trafficPolicy];
  const sub = subset ? dr.subsets?.find((s) => s.name === subset) : undefined;
  layers.push(dr.trafficPolicy?.portLevelSettings?.find((p) => p.port?.number === port));
  layers.push(sub?.trafficPolicy, sub?.trafficPolicy?.portLevelSettings?.find((p) => p.port?.number === port));
  const out: PolicyPart = {};
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.loadBalancer) out.loadBalancer = layer.loadBalancer;
    if (layer.connectionPool) out.connectionPool = layer.connectionPool;
    if (layer.outlierDetection) out.outlierDetection = layer.outlierDetection;
    if (layer.tls) out.tls = layer.tls;
  }
  return out;
}

/** True when a match restricted to `sourceLabels` applies to this scope's workload. */
export function sourceMatches(scope: MeshScope, sourceLabels: Record<string, string> | undefined): boolean {
  return !sourceLabels || selectorMatches(sourceLabels, scope.workloadLabels ?? {});
}

/** Whether any VirtualService uses sourceLabels (then routes depend on the workload, not just its namespace). */
export function usesSourceLabels(model: MeshModel): boolean {
  return model.virtualServices.some((vs) =>
    (vs.spec.http ?? []).some((h) => (h.match ?? []).some((m) => m.sourceLabels)) ||
    (vs.spec.tcp ?? []).some((t) => (t.match ?? []).some((m) => m.sourceLabels)));
}
