/** Clusters: outbound (EDS, per service port and subset), inbound (static), passthrough, black hole. */
import { formatSpiffeId } from '../../../../api/src/spiffe';
import { InboundPassthroughSource } from '../../../../api/src/names';
import { type ServiceModel, type ServicePortModel } from '../model';
import { isHttpProtocol, needsHttp2, type Protocol } from '../protocol';
import { type ServiceHealthCheck } from '../../../../api/src/crd/health-check';
import { type TrafficPolicy } from '../policy-types';
import { type Json, TypeUrls, adsConfigSource, envoyDuration, msToDuration, socketAddress, typed } from './envoy';
import { BlackHoleCluster, InboundPassthroughCluster, PassthroughCluster, inboundClusterName, outboundClusterName, outboundSni } from './names';
import { type MeshScope, effectiveTrafficPolicy } from './scope';
import { upstreamMtls } from './tls';

const connectTimeout = '10s';

export interface ClusterOptions {
  /** Proxyless gRPC clients: no transport socket (they lack SDS), only lb policies gRPC implements. */
  proxyless: boolean;
}

const lbPolicies: Record<string, string> = { ROUND_ROBIN: 'ROUND_ROBIN', LEAST_REQUEST: 'LEAST_REQUEST', LEAST_CONN: 'LEAST_REQUEST', RANDOM: 'RANDOM' };

function lbFields(policy: TrafficPolicy, proxyless: boolean): Json {
  const lb = policy.loadBalancer;
  if (lb?.consistentHash) {
    return { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: '1024' } };
  }
  if (proxyless) return { lb_policy: 'ROUND_ROBIN' };
  // Absent or UNSPECIFIED → Istio's default, LEAST_REQUEST (the CRD documents the same).
  return { lb_policy: lbPolicies[lb?.simple ?? 'UNSPECIFIED'] ?? 'LEAST_REQUEST' };
}

/**
 * Without `maxRetries`, retries are limited by a budget instead (Envoy retry_budget: 20 % of active
 * requests, at least 3 concurrent) so that retries cannot multiply the load on a failing service.
 */
const defaultRetryBudget: Json = { budget_percent: { value: 20 }, min_retry_concurrency: 3 };

function circuitBreakers(policy: TrafficPolicy): Json {
  const pool = policy.connectionPool;
  const t: Json = {};
  if (pool?.tcp?.maxConnections !== undefined) t.max_connections = pool.tcp.maxConnections;
  if (pool?.http?.http1MaxPendingRequests !== undefined) t.max_pending_requests = pool.http.http1MaxPendingRequests;
  if (pool?.http?.http2MaxRequests !== undefined) t.max_requests = pool.http.http2MaxRequests;
  if (pool?.http?.maxRetries !== undefined) t.max_retries = pool.http.maxRetries;
  else t.retry_budget = defaultRetryBudget;
  return { thresholds: [t] };
}

function outlierDetection(policy: TrafficPolicy): Json | undefined {
  const od = policy.outlierDetection;
  if (!od) return undefined;
  const out: Json = {};
  // As Istio: a threshold of 0 turns that detector off; gateway errors are enforced only when set.
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = od.consecutive5xxErrors;
    out.enforcing_consecutive_5xx = od.consecutive5xxErrors > 0 ? 100 : 0;
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = od.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = od.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (od.interval) out.interval = envoyDuration(od.interval);
  if (od.baseEjectionTime) out.base_ejection_time = envoyDuration(od.baseEjectionTime);
  if (od.maxEjectionPercent !== undefined) out.max_ejection_percent = od.maxEjectionPercent;
  return out;
}

function healthCheck(hc: ServiceHealthCheck): Json {
  return {
    timeout: msToDuration(hc.timeoutMs),
    interval: msToDuration(hc.intervalMs),
    unhealthy_threshold: hc.unhealthyThreshold,
    healthy_threshold: hc.healthyThreshold,
    http_health_check: { path: hc.path },
  };
}

/** The SPIFFE ids the client accepts: every service account behind the service. */
export function expectedSpiffeIds(scope: MeshScope, service: ServiceModel): string[] {
  const ids = new Set(scope.endpoints(service).map((e) => formatSpiffeId({ trustDomain: scope.model.trustDomain, namespace: e.namespace, serviceAccount: e.serviceAccount })));
  return [...ids].sort();
}

/** mTLS to the destination unless the DR disables it or no endpoint runs a sidecar. */
export function usesMtls(scope: MeshScope, service: ServiceModel, policy: TrafficPolicy): boolean {
  const mode = policy.tls?.mode;
  if (mode === 'DISABLE') return false;
  return scope.endpoints(service).some((e) => e.meshed);
}

export function outboundCluster(scope: MeshScope, service: ServiceModel, port: ServicePortModel, subset: string, options: ClusterOptions): Json {
  const dr = scope.destinationRule(service)?.spec;
  const policy = effectiveTrafficPolicy(dr, port.port, subset);
  const name = outboundClusterName(port.port, subset, service.fqdn);
  const cluster: Json = {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource, service_name: name },
    connect_timeout: policy.connectionPool?.tcp?.connectTimeout ? envoyDuration(policy.connectionPool.tcp.connectTimeout) : connectTimeout,
    ...lbFields(policy, options.proxyless),
  };
  cluster.circuit_breakers = circuitBreakers(policy);
  const outlier = outlierDetection(policy);
  if (outlier) {
    cluster.outlier_detection = outlier;
    // Istio: with outlier detection, panic mode starts below minHealthPercent (default 0 = never).
    cluster.common_lb_config = { healthy_panic_threshold: { value: policy.outlierDetection?.minHealthPercent ?? 0 } };
  }
  if (!options.proxyless) {
    if (service.healthCheck && isHttpProtocol(port.protocol)) cluster.health_checks = [healthCheck(service.healthCheck)];
    // h2UpgradePolicy UPGRADE: HTTP/1.1 requests go to this destination over HTTP/2 (Istio semantics).
    const upgrade = isHttpProtocol(port.protocol) && policy.connectionPool?.http?.h2UpgradePolicy === 'UPGRADE';
    const protocolOptions = httpProtocolOptions(needsHttp2(port.protocol) || upgrade, policy);
    if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;
    if (usesMtls(scope, service, policy)) {
      cluster.transport_socket = upstreamMtls(expectedSpiffeIds(scope, service), outboundSni(port.port, subset, service.fqdn));
    }
  }
  return typed(TypeUrls.cluster, cluster);
}

/** Every outbound cluster a namespace can reach: one per service port, plus one per DR subset. */
export function outboundClusters(scope: MeshScope, options: ClusterOptions): Json[] {
  const out: Json[] = [];
  for (const service of scope.services) {
    const subsets = ['', ...(scope.destinationRule(service)?.spec.subsets ?? []).map((s) => s.name)];
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      for (const subset of subsets) out.push(outboundCluster(scope, service, port, subset, options));
    }
  }
  return out;
}

/** The app's own port: HTTP/2 towards apps whose port says gRPC or HTTP2, HTTP/1.1 otherwise. */
export function inboundCluster(port: number, protocol: Protocol): Json {
  const name = inboundClusterName(port);
  return typed(TypeUrls.cluster, {
    name,
    type: 'STATIC',
    connect_timeout: connectTimeout,
    upstream_bind_config: { source_address: { address: InboundPassthroughSource, port_value: 0 } },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', port) } }] }] },
    ...(needsHttp2(protocol) ? { typed_extension_protocol_options: http2ProtocolOptions() } : {}),
  });
}

function http2ProtocolOptions(): Json {
  return httpProtocolOptions(true, {})!;
}

/**
 * Envoy HttpProtocolOptions: HTTP/2 where the port needs it, and the DestinationRule's
 * connectionPool.http maxRequestsPerConnection / idleTimeout. Undefined when all are defaults.
 */
function httpProtocolOptions(http2: boolean, policy: TrafficPolicy): Json | undefined {
  const http = policy.connectionPool?.http;
  const common: Json = {};
  if (http?.maxRequestsPerConnection !== undefined && http.maxRequestsPerConnection > 0) common.max_requests_per_connection = http.maxRequestsPerConnection;
  if (http?.idleTimeout !== undefined) common.idle_timeout = envoyDuration(http.idleTimeout);
  if (!http2 && Object.keys(common).length === 0) return undefined;
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed(TypeUrls.httpProtocolOptions, {
      ...(Object.keys(common).length > 0 ? { common_http_protocol_options: common } : {}),
      explicit_http_config: http2 ? { http2_protocol_options: {} } : { http_protocol_options: {} },
    }),
  };
}

export function fixedClusters(): Json[] {
  return [
    typed(TypeUrls.cluster, { name: PassthroughCluster, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: connectTimeout }),
    typed(TypeUrls.cluster, {
      name: InboundPassthroughCluster, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: connectTimeout,
      upstream_bind_config: { source_address: { address: InboundPassthroughSource, port_value: 0 } },
    }),
    typed(TypeUrls.cluster, { name: BlackHoleCluster, type: 'STATIC', connect_timeout: connectTimeout }),
  ];
}
