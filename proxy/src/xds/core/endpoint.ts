/** ClusterLoadAssignment → model endpoints (pure). */
import { HealthStatus } from '../../../../api/gen/envoy/config/core/v3/health_check_pb';
import { LocalityLbEndpointsSchema, LbEndpointSchema, EndpointSchema, type LbEndpoint as EnvoyLbEndpoint } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_components_pb';
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import type { Locality } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import type * as M from '../../config/model';
import { socketAddress } from './listener';
import { at, fail, idx, onlyFields } from './fields';

const health: Partial<Record<HealthStatus, M.EndpointHealth>> = {
  [HealthStatus.UNKNOWN]: 'unknown',
  [HealthStatus.HEALTHY]: 'healthy',
  [HealthStatus.UNHEALTHY]: 'unhealthy',
  [HealthStatus.DRAINING]: 'draining',
  [HealthStatus.TIMEOUT]: 'unhealthy',
};

function locality(l: Locality | undefined): M.LbEndpoint['locality'] {
  if (!l || (!l.region && !l.zone && !l.subZone)) return undefined;
  const out: NonNullable<M.LbEndpoint['locality']> = {};
  if (l.region) out.region = l.region;
  if (l.zone) out.zone = l.zone;
  if (l.subZone) out.subzone = l.subZone;
  return out;
}

function lbEndpoint(e: EnvoyLbEndpoint, path: string, loc: M.LbEndpoint['locality']): M.LbEndpoint {
  onlyFields(LbEndpointSchema, e, path, ['endpoint', 'health_status', 'metadata', 'load_balancing_weight']);
  if (e.hostIdentifier.case !== 'endpoint') fail(path, 'endpoint is required (endpoint_name is not supported)');
  const ep = at(path, 'endpoint');
  onlyFields(EndpointSchema, e.hostIdentifier.value, ep, ['address', 'hostname']);
  const { address, port } = socketAddress(e.hostIdentifier.value.address, at(ep, 'address'));
  const h = health[e.healthStatus];
  if (h === undefined) fail(at(path, 'health_status'), `${HealthStatus[e.healthStatus] ?? e.healthStatus} is not supported (UNKNOWN, HEALTHY, UNHEALTHY, DRAINING, TIMEOUT)`);
  const out: M.LbEndpoint = { address, port, health: h };
  if (e.loadBalancingWeight !== undefined) out.weight = e.loadBalancingWeight;
  if (loc) out.locality = loc;
  return out;
}

/** Every endpoint of every locality; locality weights only matter to locality-weighted LB, which the proxy (like Envoy without common_lb_config) does not use. */
export function translateEndpoints(cla: ClusterLoadAssignment, path = ''): M.LbEndpoint[] {
  onlyFields(ClusterLoadAssignmentSchema, cla, path, ['cluster_name', 'endpoints']);
  return cla.endpoints.flatMap((group, i) => {
    const gp = idx(at(path, 'endpoints'), i);
    onlyFields(LocalityLbEndpointsSchema, group, gp, ['locality', 'metadata', 'lb_endpoints', 'load_balancing_weight', 'priority']);
    if (group.priority !== 0) fail(at(gp, 'priority'), 'only priority 0 is supported (no failover priorities)');
    const loc = locality(group.locality);
    return group.lbEndpoints.map((e, j) => lbEndpoint(e, idx(at(gp, 'lb_endpoints'), j), loc));
  });
}
