/** ClusterLoadAssignments for outbound EDS clusters, grouped by locality (zone). */
import { type EndpointModel, type ServiceModel, type ServicePortModel } from '../model';
import { selectorMatches } from '../kube';
import { type Json, TypeUrls, socketAddress, typed } from './envoy';
import { outboundClusterName } from './names';
import { type MeshScope } from './scope';

function endpointPort(endpoint: EndpointModel, servicePort: ServicePortModel): number | undefined {
  const byName = endpoint.ports[servicePort.name];
  if (byName !== undefined) return byName;
  // An unnamed single-port slice serves a single-port service.
  const values = Object.values(endpoint.ports);
  return values.length === 1 && Object.keys(endpoint.ports)[0] === '' ? values[0] : undefined;
}

export function loadAssignment(scope: MeshScope, service: ServiceModel, port: ServicePortModel, subset: string): Json {
  const labels = subset ? scope.subset(service, subset)?.labels : undefined;
  const byZone = new Map<string, Json[]>();
  for (const e of scope.endpoints(service)) {
    if (subset && !selectorMatches(labels, e.labels)) continue;
    const portValue = endpointPort(e, port);
    if (portValue === undefined) continue;
    const list = byZone.get(e.zone) ?? [];
    list.push({ endpoint: { address: socketAddress(e.address, portValue) }, health_status: e.ready ? 'HEALTHY' : 'UNHEALTHY', load_balancing_weight: 1 });
    byZone.set(e.zone, list);
  }
  const zones = [...byZone.keys()].sort();
  return typed(TypeUrls.endpoint, {
    cluster_name: outboundClusterName(port.port, subset, service.fqdn),
    // gRPC clients ignore localities without a weight, so every group carries one.
    endpoints: zones.map((zone) => ({
      locality: { zone },
      lb_endpoints: byZone.get(zone)!,
      load_balancing_weight: byZone.get(zone)!.length,
    })),
  });
}

export function outboundLoadAssignments(scope: MeshScope): Json[] {
  const out: Json[] = [];
  for (const service of scope.services) {
    const subsets = ['', ...(scope.destinationRule(service)?.spec.subsets ?? []).map((s) => s.name)];
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      for (const subset of subsets) out.push(loadAssignment(scope, service, port, subset));
    }
  }
  return out;
}
