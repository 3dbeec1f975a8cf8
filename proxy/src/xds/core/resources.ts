/**
 * One xDS resource → model object, checked on its own (pure). Errors name the resource:
 * `Listener virtualInbound: filter_chains[2].filters[0]: unsupported filter envoy.filters.network.mongo_proxy (…)`.
 */
import type { Any } from '@bufbuild/protobuf/wkt';
import { ClusterSchema, Cluster_DiscoveryType } from '../../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { ClusterLoadAssignmentSchema } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema } from '../../../../api/gen/envoy/config/listener/v3/listener_pb';
import { RouteConfigurationSchema } from '../../../../api/gen/envoy/config/route/v3/route_pb';
import { unpackAnyAs } from '../../../../api/src/xds/any';
import { TypeUrls } from '../../../../api/src/xds/type-urls';
import type * as M from '../../config/model';
import { ConfigError, validateConfig } from '../../config/validate';
import { edsServiceName, translateCluster } from './cluster';
import { translateEndpoints } from './endpoint';
import { FieldError } from './fields';
import { rdsNames, translateListener, type ListenerContext } from './listener';
import { translateRouteConfiguration } from './route';

/** The four resource types the proxy subscribes to, in the order Envoy applies them. */
export const SubscribedTypes = [TypeUrls.cluster, TypeUrls.clusterLoadAssignment, TypeUrls.listener, TypeUrls.routeConfiguration] as const;
export type SubscribedType = (typeof SubscribedTypes)[number];

export const ResourceLabels: Record<SubscribedType, string> = {
  [TypeUrls.cluster]: 'Cluster',
  [TypeUrls.clusterLoadAssignment]: 'ClusterLoadAssignment',
  [TypeUrls.listener]: 'Listener',
  [TypeUrls.routeConfiguration]: 'RouteConfiguration',
};

export function isSubscribedType(typeUrl: string): typeUrl is SubscribedType {
  return (SubscribedTypes as readonly string[]).includes(typeUrl);
}

/** A resource the proxy cannot honour; `message` is the NACK's error_detail. */
export class ResourceError extends Error {
  override name = 'ResourceError';
}

export interface TranslatedCluster {
  model: M.Cluster;
  /** EDS service name, for EDS clusters. */
  eds?: string;
}
export interface TranslatedListener {
  model: M.Listener;
  rds: string[];
}
export type Translated =
  | { typeUrl: typeof TypeUrls.cluster; name: string; value: TranslatedCluster }
  | { typeUrl: typeof TypeUrls.clusterLoadAssignment; name: string; value: M.LbEndpoint[] }
  | { typeUrl: typeof TypeUrls.listener; name: string; value: TranslatedListener }
  | { typeUrl: typeof TypeUrls.routeConfiguration; name: string; value: M.RouteConfiguration };

const Check = { version: 'check', node: { id: 'check' } };

function referencedClusters(rc: M.RouteConfiguration): string[] {
  return rc.virtualHosts.flatMap((vh) => vh.routes.flatMap((r) => (r.action.kind !== 'route'
    ? []
    : [...(r.action.cluster ? [r.action.cluster] : []), ...(r.action.weightedClusters ?? []).map((w) => w.name), ...(r.action.mirrorPolicies ?? []).map((m) => m.cluster)])));
}

function stubClusters(names: Iterable<string>): M.Cluster[] {
  return [...new Set(names)].map((name) => ({ name, type: 'static' as const, endpoints: [] }));
}

/**
 * Runs the model validator on one resource, with stand-ins for what it references (references are
 * checked on the whole snapshot later). Returns the path-stripped validator message, or undefined.
 */
function checkAlone(t: Translated): string | undefined {
  let input: unknown;
  let prefix: string;
  switch (t.typeUrl) {
    case TypeUrls.cluster:
      input = { ...Check, listeners: [], clusters: [t.value.model] };
      prefix = 'clusters[0]';
      break;
    case TypeUrls.clusterLoadAssignment:
      input = { ...Check, listeners: [], clusters: [{ name: t.name, type: 'eds' }], endpoints: [{ clusterName: t.name, endpoints: t.value }] };
      prefix = 'endpoints[0]';
      break;
    case TypeUrls.routeConfiguration:
      input = { ...Check, listeners: [], routeConfigs: [t.value], clusters: stubClusters(referencedClusters(t.value)) };
      prefix = 'routeConfigs[0]';
      break;
    case TypeUrls.listener: {
      const l = t.value.model;
      const chains = l.defaultChain ? [...l.filterChains, l.defaultChain] : l.filterChains;
      const clusters = chains.flatMap((c) => (c.filter.type === 'tcp'
        ? [...(c.filter.cluster ? [c.filter.cluster] : []), ...(c.filter.weightedClusters ?? []).map((w) => w.name)]
        : c.filter.routeConfig ? referencedClusters(c.filter.routeConfig) : []));
      input = { ...Check, listeners: [l], routeConfigs: t.value.rds.map((name) => ({ name, virtualHosts: [] })), clusters: stubClusters(clusters) };
      prefix = 'listeners[0]';
      break;
    }
  }
  try {
    validateConfig(input);
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const msg = err.message.startsWith(prefix) ? err.message.slice(prefix.length).replace(/^\./, '') : err.message;
    return `${msg} (model field)`;
  }
}

function translateOne(typeUrl: SubscribedType, any: Any, ctx: ListenerContext): Translated {
  switch (typeUrl) {
    case TypeUrls.cluster: {
      const c = unpackAnyAs(any, ClusterSchema);
      const model = translateCluster(c);
      const eds = c.clusterDiscoveryType.case === 'type' && c.clusterDiscoveryType.value === Cluster_DiscoveryType.EDS ? edsServiceName(c) : undefined;
      return { typeUrl, name: c.name, value: eds === undefined ? { model } : { model, eds } };
    }
    case TypeUrls.clusterLoadAssignment: {
      const cla = unpackAnyAs(any, ClusterLoadAssignmentSchema);
      return { typeUrl, name: cla.clusterName, value: translateEndpoints(cla) };
    }
    case TypeUrls.listener: {
      const l = unpackAnyAs(any, ListenerSchema);
      const model = translateListener(l, ctx);
      return { typeUrl, name: l.name, value: { model, rds: rdsNames(model) } };
    }
    case TypeUrls.routeConfiguration: {
      const rc = unpackAnyAs(any, RouteConfigurationSchema);
      return { typeUrl, name: rc.name, value: translateRouteConfiguration(rc) };
    }
  }
}

/** The name of a resource before translation, for error messages (empty if it cannot be read). */
function nameOf(typeUrl: SubscribedType, any: Any): string {
  try {
    switch (typeUrl) {
      case TypeUrls.cluster: return unpackAnyAs(any, ClusterSchema).name;
      case TypeUrls.clusterLoadAssignment: return unpackAnyAs(any, ClusterLoadAssignmentSchema).clusterName;
      case TypeUrls.listener: return unpackAnyAs(any, ListenerSchema).name;
      case TypeUrls.routeConfiguration: return unpackAnyAs(any, RouteConfigurationSchema).name;
    }
  } catch {
    return '';
  }
}

/**
 * Translates and checks every resource of a response. Throws ResourceError for the first resource
 * that cannot be honoured (the whole response is NACKed, as Envoy does for state of the world).
 */
export function translateResources(typeUrl: SubscribedType, resources: readonly Any[], ctx: ListenerContext): Translated[] {
  const label = ResourceLabels[typeUrl];
  const seen = new Set<string>();
  return resources.map((any, i) => {
    if (any.typeUrl !== typeUrl) throw new ResourceError(`resources[${i}]: type ${any.typeUrl} in a ${typeUrl} response`);
    let t: Translated;
    try {
      t = translateOne(typeUrl, any, ctx);
    } catch (err) {
      const name = nameOf(typeUrl, any);
      const where = name ? `${label} ${name}` : `${label} resources[${i}]`;
      if (err instanceof FieldError) throw new ResourceError(`${where}: ${err.message}`);
      throw new ResourceError(`${where}: ${(err as Error).message}`);
    }
    if (t.name === '') throw new ResourceError(`${label} resources[${i}]: name is required`);
    if (seen.has(t.name)) throw new ResourceError(`${label} ${t.name}: sent twice in one response`);
    seen.add(t.name);
    const problem = checkAlone(t);
    if (problem) throw new ResourceError(`${label} ${t.name}: ${problem}`);
    return t;
  });
}
