/** Cluster → model (pure): discovery type, load balancing, breakers, outlier detection, transport, protocol. */
import { InboundPassthroughSource } from '../../../../api/src/names';
import { BindConfigSchema, SocketAddressSchema } from '../../../../api/gen/envoy/config/core/v3/address_pb';
import { RoutingPriority } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import { HealthCheckSchema, HealthCheck_HttpHealthCheckSchema } from '../../../../api/gen/envoy/config/core/v3/health_check_pb';
import { Http1ProtocolOptionsSchema, Http2ProtocolOptionsSchema, HttpProtocolOptionsSchema as CoreHttpProtocolOptionsSchema } from '../../../../api/gen/envoy/config/core/v3/protocol_pb';
import { CircuitBreakersSchema, CircuitBreakers_ThresholdsSchema, CircuitBreakers_Thresholds_RetryBudgetSchema } from '../../../../api/gen/envoy/config/cluster/v3/circuit_breaker_pb';
import {
  ClusterSchema, Cluster_CommonLbConfigSchema, Cluster_DiscoveryType, Cluster_EdsClusterConfigSchema, Cluster_LbPolicy, Cluster_RingHashLbConfigSchema, Cluster_RingHashLbConfig_HashFunction,
  type Cluster,
} from '../../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { OutlierDetectionSchema } from '../../../../api/gen/envoy/config/cluster/v3/outlier_detection_pb';
import {
  HttpProtocolOptionsSchema, HttpProtocolOptions_AutoHttpConfigSchema, HttpProtocolOptions_ExplicitHttpConfigSchema, HttpProtocolOptions_UseDownstreamHttpConfigSchema,
} from '../../../../api/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb';
import type * as M from '../../config/model';
import { translateEndpoints } from './endpoint';
import { adsSource } from './listener';
import { upstreamTransport } from './tls';
import { at, durationMs, fail, onlyFields, optDurationMs, typeNameAt, unpackAt, unsupported } from './fields';

/** Envoy's connect_timeout when unset. */
export const DefaultConnectTimeoutMs = 5_000;
export const HttpProtocolOptionsKey = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const lbPolicies: Partial<Record<Cluster_LbPolicy, M.LbPolicy>> = {
  [Cluster_LbPolicy.ROUND_ROBIN]: 'round-robin',
  [Cluster_LbPolicy.LEAST_REQUEST]: 'least-request',
  [Cluster_LbPolicy.RANDOM]: 'random',
  [Cluster_LbPolicy.RING_HASH]: 'ring-hash',
};

type ProtocolSettings = Pick<M.Cluster, 'protocol' | 'maxRequestsPerConnection' | 'upstreamIdleTimeoutMs'>;

/** The upstream HTTP protocol and connection limits from typed_extension_protocol_options (Envoy's default: HTTP/1.1). */
function protocol(c: Cluster, path: string, tls: boolean): ProtocolSettings {
  let out: M.Cluster['protocol'] = 'http1';
  const limits: Omit<ProtocolSettings, 'protocol'> = {};
  for (const [key, any] of Object.entries(c.typedExtensionProtocolOptions)) {
    const kp = `${path}[${JSON.stringify(key)}]`;
    const typeName = typeNameAt(any, kp);
    if (typeName !== HttpProtocolOptionsSchema.typeName) unsupported(kp, 'protocol options', key, typeName);
    const o = unpackAt(any, HttpProtocolOptionsSchema, kp);
    onlyFields(HttpProtocolOptionsSchema, o, kp, ['explicit_http_config', 'use_downstream_protocol_config', 'auto_config', 'common_http_protocol_options']);
    const common = o.commonHttpProtocolOptions;
    if (common) {
      const cp = at(kp, 'common_http_protocol_options');
      onlyFields(CoreHttpProtocolOptionsSchema, common, cp, ['idle_timeout', 'max_requests_per_connection']);
      if (common.maxRequestsPerConnection !== undefined) {
        if (common.maxRequestsPerConnection < 1) fail(at(cp, 'max_requests_per_connection'), 'must be at least 1');
        limits.maxRequestsPerConnection = common.maxRequestsPerConnection;
      }
      if (common.idleTimeout) {
        const ms = durationMs(common.idleTimeout, at(cp, 'idle_timeout'));
        if (ms === 0) fail(at(cp, 'idle_timeout'), 'must be greater than 0 (an unlimited upstream idle time is not supported)');
        limits.upstreamIdleTimeoutMs = ms;
      }
    }
    const p = o.upstreamProtocolOptions;
    if (p.case === 'explicitHttpConfig') {
      const ep = at(kp, 'explicit_http_config');
      onlyFields(HttpProtocolOptions_ExplicitHttpConfigSchema, p.value, ep, ['http_protocol_options', 'http2_protocol_options']);
      if (p.value.protocolConfig.case === 'http2ProtocolOptions') {
        onlyFields(Http2ProtocolOptionsSchema, p.value.protocolConfig.value, at(ep, 'http2_protocol_options'), []);
        out = 'http2';
      } else if (p.value.protocolConfig.case === 'httpProtocolOptions') {
        onlyFields(Http1ProtocolOptionsSchema, p.value.protocolConfig.value, at(ep, 'http_protocol_options'), []);
        out = 'http1';
      } else fail(ep, 'http_protocol_options or http2_protocol_options is required (HTTP/3 is not supported)');
    } else if (p.case === 'useDownstreamProtocolConfig') {
      onlyFields(HttpProtocolOptions_UseDownstreamHttpConfigSchema, p.value, at(kp, 'use_downstream_protocol_config'), ['http_protocol_options', 'http2_protocol_options']);
      if (tls) fail(at(kp, 'use_downstream_protocol_config'), 'over TLS the proxy follows ALPN; use auto_config');
      out = 'auto';
    } else if (p.case === 'autoConfig') {
      onlyFields(HttpProtocolOptions_AutoHttpConfigSchema, p.value, at(kp, 'auto_config'), ['http_protocol_options', 'http2_protocol_options']);
      if (!tls) fail(at(kp, 'auto_config'), 'needs a TLS transport socket (ALPN); over plaintext use use_downstream_protocol_config');
      out = 'auto';
    } else fail(kp, 'upstream_protocol_options is required');
  }
  return { protocol: out, ...limits };
}

function circuitBreakers(c: Cluster, path: string): M.CircuitBreakers | undefined {
  const cb = c.circuitBreakers;
  if (!cb) return undefined;
  onlyFields(CircuitBreakersSchema, cb, path, ['thresholds']);
  const out: M.CircuitBreakers = {};
  cb.thresholds.forEach((t, i) => {
    const tp = `${path}.thresholds[${i}]`;
    onlyFields(CircuitBreakers_ThresholdsSchema, t, tp, ['priority', 'max_connections', 'max_pending_requests', 'max_requests', 'max_retries', 'track_remaining', 'retry_budget']);
    if (t.priority !== RoutingPriority.DEFAULT) fail(at(tp, 'priority'), 'only the DEFAULT priority is supported');
    if (t.maxConnections !== undefined) out.maxConnections = t.maxConnections;
    if (t.maxPendingRequests !== undefined) out.maxPendingRequests = t.maxPendingRequests;
    if (t.maxRequests !== undefined) out.maxRequests = t.maxRequests;
    if (t.maxRetries !== undefined) out.maxRetries = t.maxRetries;
    if (t.retryBudget) {
      const bp = at(tp, 'retry_budget');
      onlyFields(CircuitBreakers_Thresholds_RetryBudgetSchema, t.retryBudget, bp, ['budget_percent', 'min_retry_concurrency']);
      const percent = t.retryBudget.budgetPercent?.value ?? 20;
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) fail(at(bp, 'budget_percent'), `must be a whole percentage in [0, 100], got ${percent}`);
      out.retryBudget = { budgetPercent: percent, minRetryConcurrency: t.retryBudget.minRetryConcurrency ?? 3 };
    }
  });
  return out;
}

function outlierDetection(c: Cluster, path: string): M.OutlierDetection | undefined {
  const o = c.outlierDetection;
  if (!o) return undefined;
  onlyFields(OutlierDetectionSchema, o, path, [
    'consecutive_5xx', 'consecutive_gateway_failure', 'enforcing_consecutive_5xx', 'enforcing_consecutive_gateway_failure',
    'interval', 'base_ejection_time', 'max_ejection_time', 'max_ejection_percent',
  ]);
  const out: M.OutlierDetection = {};
  // Enforcement is all or nothing here (probabilistic enforcement is not implemented). Envoy's
  // defaults: 5xx detection enforced (100), gateway-failure detection not enforced (0).
  const enforced = (v: number | undefined, dflt: number, field: string): boolean => {
    const e = v ?? dflt;
    if (e !== 0 && e !== 100) fail(at(path, field), `only 0 or 100 is supported, got ${e}`);
    return e === 100;
  };
  out.consecutive5xx = enforced(o.enforcingConsecutive5xx, 100, 'enforcing_consecutive_5xx') ? (o.consecutive5xx ?? 5) : 0;
  out.consecutiveGatewayErrors = enforced(o.enforcingConsecutiveGatewayFailure, 0, 'enforcing_consecutive_gateway_failure') ? (o.consecutiveGatewayFailure ?? 5) : 0;
  const maxEjection = optDurationMs(o.maxEjectionTime, at(path, 'max_ejection_time'));
  if (maxEjection !== undefined) out.maxEjectionTimeMs = maxEjection;
  const interval = optDurationMs(o.interval, at(path, 'interval'));
  if (interval !== undefined) out.intervalMs = interval;
  const base = optDurationMs(o.baseEjectionTime, at(path, 'base_ejection_time'));
  if (base !== undefined) out.baseEjectionTimeMs = base;
  if (o.maxEjectionPercent !== undefined) out.maxEjectionPercent = o.maxEjectionPercent;
  return out;
}

/** One HTTP health check (GET path, 2xx passes); other checkers and extra fields are NACKed. */
function healthChecks(c: Cluster, path: string): M.HealthCheck | undefined {
  if (c.healthChecks.length === 0) return undefined;
  if (c.healthChecks.length > 1) fail(path, 'only one health check per cluster is supported');
  const h = c.healthChecks[0]!;
  const hp = `${path}[0]`;
  onlyFields(HealthCheckSchema, h, hp, ['timeout', 'interval', 'unhealthy_threshold', 'healthy_threshold', 'http_health_check']);
  if (h.healthChecker.case !== 'httpHealthCheck') fail(hp, `${h.healthChecker.case ?? '(no checker)'} is not supported (http_health_check)`);
  const http = h.healthChecker.value;
  onlyFields(HealthCheck_HttpHealthCheckSchema, http, at(hp, 'http_health_check'), ['path']);
  const required = (v: number | undefined, field: string): number => {
    if (v === undefined) fail(at(hp, field), 'is required');
    return v;
  };
  if (!h.timeout) fail(at(hp, 'timeout'), 'is required');
  if (!h.interval) fail(at(hp, 'interval'), 'is required');
  return {
    path: http.path,
    timeoutMs: durationMs(h.timeout, at(hp, 'timeout')),
    intervalMs: durationMs(h.interval, at(hp, 'interval')),
    unhealthyThreshold: required(h.unhealthyThreshold, 'unhealthy_threshold'),
    healthyThreshold: required(h.healthyThreshold, 'healthy_threshold'),
  };
}

/** Only the inbound passthrough source (127.0.0.6, any port) is accepted: the proxy binds it for inbound traffic itself. */
function upstreamBind(c: Cluster, path: string): void {
  const b = c.upstreamBindConfig;
  if (!b) return;
  onlyFields(BindConfigSchema, b, path, ['source_address']);
  const s = b.sourceAddress;
  if (!s) return;
  onlyFields(SocketAddressSchema, s, at(path, 'source_address'), ['address', 'port_value']);
  const port = s.portSpecifier.case === 'portValue' ? s.portSpecifier.value : 0;
  if (s.address !== InboundPassthroughSource || port !== 0) {
    fail(at(path, 'source_address'), `only ${InboundPassthroughSource}:0 (the inbound passthrough source) is supported, got ${s.address}:${port}`);
  }
}

/** The EDS service name a cluster asks for (`eds_cluster_config.service_name`, else its own name). */
export function edsServiceName(c: Cluster): string {
  return c.edsClusterConfig?.serviceName || c.name;
}

export function translateCluster(c: Cluster): M.Cluster {
  onlyFields(ClusterSchema, c, '', [
    'name', 'type', 'eds_cluster_config', 'connect_timeout', 'lb_policy', 'load_assignment', 'circuit_breakers', 'typed_extension_protocol_options',
    'outlier_detection', 'upstream_bind_config', 'ring_hash_lb_config', 'transport_socket', 'metadata', 'common_lb_config', 'health_checks',
  ]);
  const d = c.clusterDiscoveryType;
  if (d.case !== 'type') fail('cluster_type', 'custom cluster types are not supported');
  const transport = upstreamTransport(c.transportSocket, 'transport_socket');
  const out: M.Cluster = {
    name: c.name,
    type: 'static',
    connectTimeoutMs: c.connectTimeout ? durationMs(c.connectTimeout, 'connect_timeout') : DefaultConnectTimeoutMs,
    transport,
    ...protocol(c, 'typed_extension_protocol_options', transport.kind === 'mtls'),
  };
  if (out.connectTimeoutMs === 0) fail('connect_timeout', 'must be greater than 0');
  switch (d.value) {
    case Cluster_DiscoveryType.EDS:
      out.type = 'eds';
      if (c.edsClusterConfig) {
        onlyFields(Cluster_EdsClusterConfigSchema, c.edsClusterConfig, 'eds_cluster_config', ['eds_config', 'service_name']);
        adsSource(c.edsClusterConfig.edsConfig, 'eds_cluster_config.eds_config');
      }
      if (c.loadAssignment) fail('load_assignment', 'an EDS cluster gets its endpoints over EDS');
      break;
    case Cluster_DiscoveryType.STATIC:
      out.type = 'static';
      out.endpoints = c.loadAssignment ? translateEndpoints(c.loadAssignment, 'load_assignment') : [];
      break;
    case Cluster_DiscoveryType.ORIGINAL_DST:
      out.type = 'original-dst';
      if (c.loadAssignment) fail('load_assignment', 'an ORIGINAL_DST cluster has no endpoints');
      if (c.lbPolicy !== Cluster_LbPolicy.CLUSTER_PROVIDED && c.lbPolicy !== Cluster_LbPolicy.ROUND_ROBIN) fail('lb_policy', 'an ORIGINAL_DST cluster needs CLUSTER_PROVIDED');
      break;
    default:
      fail('type', `${Cluster_DiscoveryType[d.value] ?? d.value} is not supported (EDS, STATIC, ORIGINAL_DST)`);
  }
  if (d.value === Cluster_DiscoveryType.STATIC || d.value === Cluster_DiscoveryType.EDS) {
    if (d.value !== Cluster_DiscoveryType.EDS && c.edsClusterConfig) fail('eds_cluster_config', 'only EDS clusters take eds_cluster_config');
    const lb = lbPolicies[c.lbPolicy];
    if (!lb) fail('lb_policy', `${Cluster_LbPolicy[c.lbPolicy] ?? c.lbPolicy} is not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH)`);
    out.lbPolicy = lb;
  }
  if (c.lbConfig.case === 'ringHashLbConfig') {
    if (out.lbPolicy !== 'ring-hash') fail('ring_hash_lb_config', 'only with lb_policy RING_HASH');
    const r = c.lbConfig.value;
    onlyFields(Cluster_RingHashLbConfigSchema, r, 'ring_hash_lb_config', ['minimum_ring_size', 'hash_function']);
    if (r.hashFunction !== Cluster_RingHashLbConfig_HashFunction.XX_HASH) fail('ring_hash_lb_config.hash_function', 'only XX_HASH is supported');
    if (r.minimumRingSize !== undefined) out.ringSize = Number(r.minimumRingSize);
  }
  const cb = circuitBreakers(c, 'circuit_breakers');
  if (cb) out.circuitBreakers = cb;
  const od = outlierDetection(c, 'outlier_detection');
  if (od) out.outlierDetection = od;
  if (c.commonLbConfig) {
    onlyFields(Cluster_CommonLbConfigSchema, c.commonLbConfig, 'common_lb_config', ['healthy_panic_threshold']);
    const panic = c.commonLbConfig.healthyPanicThreshold?.value;
    if (panic !== undefined) {
      if (panic < 0 || panic > 100) fail('common_lb_config.healthy_panic_threshold', `must be in [0, 100], got ${panic}`);
      out.panicThresholdPercent = Math.round(panic);
    }
  }
  const hc = healthChecks(c, 'health_checks');
  if (hc) out.healthCheck = hc;
  upstreamBind(c, 'upstream_bind_config');
  return out;
}
