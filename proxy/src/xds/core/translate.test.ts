/**
 * Translation tables: Envoy resources (protobuf-es `create`) → model, and every kind of input the
 * proxy cannot honour → the NACK reason naming resource and field.
 */
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { AnySchema, DurationSchema, type Any } from '@bufbuild/protobuf/wkt';
import { Cluster_CommonLbConfigSchema, ClusterSchema, Cluster_DiscoveryType, Cluster_LbPolicy, Cluster_RingHashLbConfigSchema } from '../../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { RoutingPriority, TrafficDirection } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import { HealthStatus } from '../../../../api/gen/envoy/config/core/v3/health_check_pb';
import { ClusterLoadAssignmentSchema } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema, type Listener } from '../../../../api/gen/envoy/config/listener/v3/listener_pb';
import { RBAC_Action } from '../../../../api/gen/envoy/config/rbac/v3/rbac_pb';
import { RouteConfigurationSchema, type RouteConfiguration } from '../../../../api/gen/envoy/config/route/v3/route_pb';
import {
  DirectResponseActionSchema, HeaderMatcherSchema, RetryPolicySchema, RouteAction_HashPolicySchema, type RouteAction,
} from '../../../../api/gen/envoy/config/route/v3/route_components_pb';
import { RegexMatchAndSubstituteSchema, RegexMatcherSchema } from '../../../../api/gen/envoy/type/matcher/v3/regex_pb';
import { BindConfigSchema } from '../../../../api/gen/envoy/config/core/v3/address_pb';
import { HeaderValueOptionSchema, TransportSocketSchema } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import { CircuitBreakersSchema } from '../../../../api/gen/envoy/config/cluster/v3/circuit_breaker_pb';
import { OutlierDetectionSchema } from '../../../../api/gen/envoy/config/cluster/v3/outlier_detection_pb';
import { HealthCheckSchema } from '../../../../api/gen/envoy/config/core/v3/health_check_pb';
import { ClusterLoadAssignment_PolicySchema } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerFilterSchema } from '../../../../api/gen/envoy/config/listener/v3/listener_components_pb';
import { HTTPFaultSchema } from '../../../../api/gen/envoy/extensions/filters/http/fault/v3/fault_pb';
import { LocalRateLimitSchema } from '../../../../api/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb';
import { RBACSchema as HttpRbacSchema } from '../../../../api/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb';
import { RouterSchema } from '../../../../api/gen/envoy/extensions/filters/http/router/v3/router_pb';
import {
  HttpConnectionManager_PathWithEscapedSlashesAction, HttpConnectionManager_UpgradeConfigSchema, HttpFilterSchema, ScopedRoutesSchema,
} from '../../../../api/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb';
import { RBACSchema as NetworkRbacSchema } from '../../../../api/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb';
import { TcpProxySchema } from '../../../../api/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb';
import { DownstreamTlsContextSchema } from '../../../../api/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb';
import { HttpProtocolOptionsSchema } from '../../../../api/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb';
import { FractionalPercent_DenominatorType } from '../../../../api/gen/envoy/type/v3/percent_pb';
import { packAny } from '../../../../api/src/xds/any';
import { TypeUrls } from '../../../../api/src/xds/type-urls';
import { REVIEWS, ads, edsCluster, upstreamMtls, hcmFilter, loadAssignment, outboundListener, passthroughCluster, routeConfig, tcpFilter, type FilterInit } from '../testing/resources';
import { ResourceError, translateResources, type SubscribedType, type Translated } from './resources';

const ctx = { explicitOutboundPorts: new Map([[15101, 9080]]) };

function one<D extends DescMessage>(typeUrl: SubscribedType, schema: D, message: MessageShape<D>): Translated {
  return translateResources(typeUrl, [packAny(schema, message)], ctx)[0]!;
}
function nackOf(typeUrl: SubscribedType, anys: Any[]): string {
  try {
    translateResources(typeUrl, anys, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(ResourceError);
    return (err as Error).message;
  }
  throw new Error('expected a NACK');
}
const typed = <D extends DescMessage>(schema: D, init: Parameters<typeof create<D>>[1]) => ({ case: 'typedConfig' as const, value: packAny(schema, create(schema, init)) });
const unknownAny = (typeName: string): Any => create(AnySchema, { typeUrl: `type.googleapis.com/${typeName}` });
const millionth = (percent: number) => ({ numerator: percent * 10_000, denominator: FractionalPercent_DenominatorType.MILLION });

function listenerWith(chainFilters: FilterInit[], edit: (l: Listener) => void = () => undefined): Any {
  return packAny(ListenerSchema, outboundListener(chainFilters, edit));
}
function httpListener(httpFilters: Array<{ name: string; isOptional?: boolean; configType: { case: 'typedConfig'; value: Any } }>): Any {
  return listenerWith([hcmFilter((h) => {
    h.httpFilters = [...httpFilters, { name: 'envoy.filters.http.router', configType: typed(RouterSchema, {}) }].map((f) => create(HttpFilterSchema, f));
  })]);
}
function routeWithAction(edit: (a: RouteAction) => void): Any {
  return packAny(RouteConfigurationSchema, routeConfig(REVIEWS, (rc) => {
    const a = rc.virtualHosts[0]!.routes[0]!.action;
    if (a.case === 'route') edit(a.value);
  }));
}
function withRoute(edit: (rc: RouteConfiguration) => void): Any {
  return packAny(RouteConfigurationSchema, routeConfig(REVIEWS, edit));
}
function rbacListener(rules: Parameters<typeof create<typeof HttpRbacSchema>>[1]): Any {
  return httpListener([{ name: 'envoy.filters.http.rbac', configType: typed(HttpRbacSchema, rules) }]);
}
/** Appends field 999 (varint 1), which no Envoy message here defines. */
function withUnknownField(any: Any): Any {
  return create(AnySchema, { typeUrl: any.typeUrl, value: new Uint8Array([...any.value, 0xb8, 0x3e, 0x01]) });
}

describe('NACK reasons: resource, field, why', () => {
  const L = TypeUrls.listener;
  const R = TypeUrls.routeConfiguration;
  const C = TypeUrls.cluster;
  const E = TypeUrls.clusterLoadAssignment;
  const table: Array<[string, SubscribedType, () => Any[], RegExp]> = [
    ['an unsupported network filter', L, () => [listenerWith([{ name: 'envoy.filters.network.mongo_proxy', configType: { case: 'typedConfig', value: unknownAny('envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy') } }])],
      /^Listener virtualOutbound: filter_chains\[0\]\.filters\[0\]: unsupported filter envoy\.filters\.network\.mongo_proxy \(envoy\.extensions\.filters\.network\.mongo_proxy\.v3\.MongoProxy\)$/],
    ['a chain without a terminal filter', L, () => [listenerWith([])], /^Listener virtualOutbound: filter_chains\[0\]\.filters: needs a terminal filter/],
    ['a filter after the terminal one', L, () => [listenerWith([tcpFilter('PassthroughCluster'), tcpFilter('PassthroughCluster')])], /filter_chains\[0\]\.filters\[1\]: filter envoy\.filters\.network\.tcp_proxy follows the terminal filter/],
    ['a listener field the proxy does not implement', L, () => [listenerWith([hcmFilter()], (l) => { l.perConnectionBufferLimitBytes = 1024; })],
      /^Listener virtualOutbound: per_connection_buffer_limit_bytes: not supported by the Skein proxy \(envoy\.config\.listener\.v3\.Listener\.per_connection_buffer_limit_bytes\)$/],
    ['a field number the protos do not know', L, () => [withUnknownField(packAny(ListenerSchema, outboundListener()))], /^Listener virtualOutbound: unknown field number 999 in envoy\.config\.listener\.v3\.Listener/],
    ['a CIDR match wider than one address', L, () => [listenerWith([hcmFilter()], (l) => { l.filterChains[0]!.filterChainMatch!.prefixRanges[0]!.prefixLen = 24; })],
      /filter_chains\[0\]\.filter_chain_match\.prefix_ranges\[0\]\.prefix_len: only single addresses \(\/32\) are supported, got \/24/],
    ['an unknown transport protocol', L, () => [listenerWith([hcmFilter()], (l) => { l.filterChains[0]!.filterChainMatch!.transportProtocol = 'quic'; })], /transport_protocol: "quic" is not supported/],
    ['ALPN matching on a TLS chain', L, () => [listenerWith([hcmFilter()], (l) => { Object.assign(l.filterChains[0]!.filterChainMatch!, { transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange'] }); })], /application_protocols: only plaintext HTTP detection/],
    ['no traffic direction', L, () => [listenerWith([hcmFilter()], (l) => { l.trafficDirection = TrafficDirection.UNSPECIFIED; })], /^Listener virtualOutbound: traffic_direction: must be INBOUND or OUTBOUND/],
    ['an explicit listener the node did not ask for', L, () => [listenerWith([hcmFilter()], (l) => { l.useOriginalDst = undefined; if (l.address?.address.case === 'socketAddress') l.address.address.value.portSpecifier = { case: 'portValue', value: 15999 }; })],
      /address: explicit outbound listener on port 15999: this proxy did not ask for it/],
    ['an unknown listener filter', L, () => [listenerWith([hcmFilter()], (l) => { l.listenerFilters = [create(ListenerFilterSchema, { name: 'envoy.filters.listener.proxy_protocol', configType: { case: 'typedConfig', value: unknownAny('envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol') } })]; })],
      /listener_filters\[0\]: unsupported listener filter envoy\.filters\.listener\.proxy_protocol/],
    ['use_remote_address', L, () => [listenerWith([hcmFilter((h) => { h.useRemoteAddress = true; })])], /typed_config\.use_remote_address: true is not supported/],
    ['escaped slashes answered with a redirect', L, () => [listenerWith([hcmFilter((h) => { h.pathWithEscapedSlashesAction = HttpConnectionManager_PathWithEscapedSlashesAction.UNESCAPE_AND_REDIRECT; })])],
      /typed_config\.path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT is not supported/],
    ['an upgrade with its own filter chain', L, () => [listenerWith([hcmFilter((h) => { h.upgradeConfigs = [create(HttpConnectionManager_UpgradeConfigSchema, { upgradeType: 'websocket', filters: [{ name: 'envoy.filters.http.router', configType: typed(RouterSchema, {}) }] })]; })])],
      /typed_config\.upgrade_configs\[0\]\.filters: not supported/],
    ['max_headers_count 0', L, () => [listenerWith([hcmFilter((h) => { h.commonHttpProtocolOptions = { $typeName: 'envoy.config.core.v3.HttpProtocolOptions', maxHeadersCount: 0 } as never; })])],
      /common_http_protocol_options\.max_headers_count: must be at least 1/],
    ['scoped routes', L, () => [listenerWith([hcmFilter((h) => { h.routeSpecifier = { case: 'scopedRoutes', value: create(ScopedRoutesSchema) }; })])], /filters\[0\]\.typed_config\.scoped_routes: not supported by the Skein proxy/],
    ['RDS from a non-ADS source', L, () => [listenerWith([hcmFilter((h) => { if (h.routeSpecifier.case === 'rds') h.routeSpecifier.value.configSource!.configSourceSpecifier = { case: 'path', value: '/etc/routes' }; })])], /rds\.config_source: only the ADS stream is supported/],
    ['an unknown HTTP filter', L, () => [httpListener([{ name: 'envoy.filters.http.lua', configType: { case: 'typedConfig', value: unknownAny('envoy.extensions.filters.http.lua.v3.Lua') } }])],
      /typed_config\.http_filters\[0\]: unsupported HTTP filter envoy\.filters\.http\.lua/],
    ['a fault filter limit the proxy cannot enforce', L, () => [httpListener([{ name: 'envoy.filters.http.fault', configType: typed(HTTPFaultSchema, { maxActiveFaults: 100 }) }])], /http_filters\[0\]\.typed_config\.max_active_faults: not supported/],
    ['a partially enforced rate limit', L, () => [httpListener([{ name: 'envoy.filters.http.local_ratelimit', configType: typed(LocalRateLimitSchema, { statPrefix: 'rl', filterEnabled: { defaultValue: millionth(50) }, filterEnforced: { defaultValue: millionth(100) } }) }])],
      /filter_enabled\.default_value: 50 % cannot be expressed/],
    ['RBAC LOG action', L, () => [rbacListener({ rules: { action: RBAC_Action.LOG } })], /rules\.action: only ALLOW and DENY are supported/],
    ['RBAC on source IP', L, () => [rbacListener({ rules: { policies: { p: { permissions: [{ rule: { case: 'any', value: true } }], principals: [{ identifier: { case: 'directRemoteIp', value: { addressPrefix: '10.0.0.0', prefixLen: 8 } } }] } } } })],
      /rules\.policies\["p"\]\.principals\[0\]: principal directRemoteIp is not supported/],
    ['RBAC on an arbitrary header', L, () => [rbacListener({ rules: { policies: { p: { permissions: [{ rule: { case: 'header', value: { name: 'x-user', headerMatchSpecifier: { case: 'exactMatch', value: 'a' } } } }], principals: [{ identifier: { case: 'any', value: true } }] } } } })],
      /permissions\[0\]\.header\.name: header "x-user" cannot be matched by RBAC here/],
    ['RBAC with two port sets AND-ed', L, () => [rbacListener({ rules: { policies: { p: { permissions: [{ rule: { case: 'andRules', value: { rules: [{ rule: { case: 'destinationPort', value: 1 } }, { rule: { case: 'destinationPort', value: 2 } }] } } }], principals: [{ identifier: { case: 'any', value: true } }] } } } })],
      /two conditions on ports in one rule cannot be expressed/],
    ['network RBAC in front of HTTP', L, () => [listenerWith([{ name: 'envoy.filters.network.rbac', configType: typed(NetworkRbacSchema, { statPrefix: 'x', rules: { action: RBAC_Action.DENY } }) }, hcmFilter()])], /filters\[0\]: network RBAC in front of an HTTP connection manager is not supported/],
    ['two ALLOW network RBAC filters', L, () => {
      const allow = { name: 'envoy.filters.network.rbac', configType: typed(NetworkRbacSchema, { statPrefix: 'x', rules: { action: RBAC_Action.ALLOW, policies: {} } }) };
      return [listenerWith([allow, allow, tcpFilter('PassthroughCluster')])];
    }, /filters\[1\]: two ALLOW RBAC filters on one chain cannot be expressed/],
    ['inline certificates on a server chain', L, () => [listenerWith([hcmFilter()], (l) => {
      Object.assign(l.filterChains[0]!.filterChainMatch!, { transportProtocol: 'tls', prefixRanges: [] });
      l.filterChains[0]!.transportSocket = create(TransportSocketSchema, { name: 'tls', configType: typed(DownstreamTlsContextSchema, { commonTlsContext: { tlsCertificates: [{}] } }) });
    })], /transport_socket\.typed_config\.common_tls_context\.tls_certificates: not supported/],
    ['an unknown SDS secret', L, () => [listenerWith([hcmFilter()], (l) => {
      l.filterChains[0]!.filterChainMatch!.transportProtocol = 'tls';
      l.filterChains[0]!.transportSocket = create(TransportSocketSchema, { name: 'tls', configType: typed(DownstreamTlsContextSchema, { commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'file-cert', sdsConfig: ads }], validationContextType: { case: 'validationContextSdsSecretConfig', value: { name: 'ROOTCA' } } } }) });
    })], /tls_certificate_sds_secret_configs\[0\]\.name: unknown secret "file-cert"/],
    ['a model rule: TLS termination on a plaintext chain', L, () => [listenerWith([hcmFilter()], (l) => {
      l.filterChains[0]!.transportSocket = create(TransportSocketSchema, { name: 'tls', configType: typed(DownstreamTlsContextSchema, { commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'default' }], validationContextType: { case: 'validationContextSdsSecretConfig', value: { name: 'ROOTCA' } } } }) });
    })], /^Listener virtualOutbound: filterChains\[0\]\.tls: TLS termination needs match\.transport "tls" \(model field\)$/],

    ['a regex path rewrite', R, () => [routeWithAction((a) => { a.regexRewrite = create(RegexMatchAndSubstituteSchema, { substitution: 'x' }); })],
      /^RouteConfiguration 9080: virtual_hosts\[0\]\.routes\[0\]\.route\.regex_rewrite: not supported/],
    ['a cluster taken from a header', R, () => [routeWithAction((a) => { a.clusterSpecifier = { case: 'clusterHeader', value: 'x-cluster' }; })], /routes\[0\]\.route\.cluster_header: not supported by the Skein proxy/],
    ['a retry host predicate', R, () => [routeWithAction((a) => { a.retryPolicy = create(RetryPolicySchema, { retryOn: '5xx', retryHostPredicate: [{ name: 'previous_hosts' }] }); })], /route\.retry_policy\.retry_host_predicate: not supported/],
    ['a query-parameter hash', R, () => [routeWithAction((a) => { a.hashPolicy = [create(RouteAction_HashPolicySchema, { policySpecifier: { case: 'queryParameter', value: { name: 'u' } } })]; })], /route\.hash_policy\[0\]\.query_parameter: not supported by the Skein proxy/],
    ['a range header match', R, () => [withRoute((rc) => { rc.virtualHosts[0]!.routes[0]!.match!.headers = [create(HeaderMatcherSchema, { name: 'x', headerMatchSpecifier: { case: 'rangeMatch', value: { start: 1n, end: 2n } } })]; })],
      /match\.headers\[0\]\.range_match: not supported/],
    ['a case-insensitive header match', R, () => [withRoute((rc) => { rc.virtualHosts[0]!.routes[0]!.match!.headers = [create(HeaderMatcherSchema, { name: 'x', headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value: 'a' }, ignoreCase: true } } })]; })],
      /headers\[0\]\.string_match\.ignore_case: case-insensitive header matching is not supported/],
    ['a direct response body from a file', R, () => [withRoute((rc) => { rc.virtualHosts[0]!.routes[0]!.action = { case: 'directResponse', value: create(DirectResponseActionSchema, { status: 200, body: { specifier: { case: 'filename', value: '/etc/passwd' } } }) }; })],
      /direct_response\.body: filename bodies are not supported/],
    ['per-route config for a filter the proxy lacks', R, () => [withRoute((rc) => { rc.virtualHosts[0]!.routes[0]!.typedPerFilterConfig = { 'envoy.filters.http.lua': unknownAny('envoy.extensions.filters.http.lua.v3.LuaPerRoute') }; })],
      /typed_per_filter_config\["envoy\.filters\.http\.lua"\]: unsupported per-route filter config envoy\.filters\.http\.lua/],
    ['a header append action the model lacks', R, () => [withRoute((rc) => { rc.requestHeadersToAdd = [create(HeaderValueOptionSchema, { header: { key: 'x', value: 'y' }, appendAction: 1 })]; })],
      /request_headers_to_add\[0\]\.append_action: ADD_IF_ABSENT is not supported/],
    ['a model rule: an invalid regex', R, () => [withRoute((rc) => { rc.virtualHosts[0]!.routes[0]!.match!.pathSpecifier = { case: 'safeRegex', value: create(RegexMatcherSchema, { regex: '(' }) }; })],
      /^RouteConfiguration 9080: virtualHosts\[0\]\.routes\[0\]\.match\.path\.regex: invalid regular expression/],
    ['a model rule: duplicate domains', R, () => [withRoute((rc) => { rc.virtualHosts.push(rc.virtualHosts[0]!); })], /virtualHosts: duplicate virtual host/],

    ['a DNS cluster', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.clusterDiscoveryType = { case: 'type', value: Cluster_DiscoveryType.STRICT_DNS }; }))], /^Cluster outbound\|9080\|\|reviews\.default\.svc\.cluster\.local: type: STRICT_DNS is not supported/],
    ['Maglev', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.lbPolicy = Cluster_LbPolicy.MAGLEV; }))], /lb_policy: MAGLEV is not supported/],
    ['mTLS without an expected identity', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.transportSocket!.configType = { case: 'typedConfig', value: upstreamMtls([]) }; }))],
      /match_typed_subject_alt_names: at least one expected SPIFFE id is required/],
    ['a high-priority breaker', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.circuitBreakers = create(CircuitBreakersSchema, { thresholds: [{ priority: RoutingPriority.HIGH, maxConnections: 1 }] }); }))], /circuit_breakers\.thresholds\[0\]\.priority: only the DEFAULT priority/],
    ['probabilistic outlier enforcement', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.outlierDetection = create(OutlierDetectionSchema, { enforcingConsecutive5xx: 50 }); }))], /outlier_detection\.enforcing_consecutive_5xx: only 0 or 100 is supported, got 50/],
    ['a retry budget over 100 %', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.circuitBreakers = create(CircuitBreakersSchema, { thresholds: [{ retryBudget: { budgetPercent: { value: 150 } } }] }); }))], /retry_budget\.budget_percent: must be a whole percentage in \[0, 100\], got 150/],
    ['a panic threshold over 100 %', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.commonLbConfig = create(Cluster_CommonLbConfigSchema, { healthyPanicThreshold: { value: 101 } }); }))], /common_lb_config\.healthy_panic_threshold: must be in \[0, 100\], got 101/],
    ['other common lb settings', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.commonLbConfig = create(Cluster_CommonLbConfigSchema, { ignoreNewHostsUntilFirstHc: true }); }))], /common_lb_config\.ignore_new_hosts_until_first_hc: not supported/],
    ['a TCP health check', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.healthChecks = [create(HealthCheckSchema, { timeout: { seconds: 1n }, interval: { seconds: 5n }, unhealthyThreshold: 2, healthyThreshold: 2, healthChecker: { case: 'tcpHealthCheck', value: {} } })]; }))], /health_checks\[0\]\.tcp_health_check: not supported by the Skein proxy/],
    ['a health check without thresholds', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.healthChecks = [create(HealthCheckSchema, { timeout: { seconds: 1n }, interval: { seconds: 5n }, healthChecker: { case: 'httpHealthCheck', value: { path: '/healthz' } } })]; }))], /health_checks\[0\]\.unhealthy_threshold: is required/],
    ['success-rate outlier detection', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.outlierDetection = create(OutlierDetectionSchema, { successRateStdevFactor: 1900 }); }))], /outlier_detection\.success_rate_stdev_factor: not supported/],
    ['binding upstream connections to another source', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.upstreamBindConfig = create(BindConfigSchema, { sourceAddress: { address: '10.1.1.1', portSpecifier: { case: 'portValue', value: 0 } } }); }))],
      /upstream_bind_config\.source_address: only 127\.0\.0\.6:0/],
    ['HTTP/3 upstream', C, () => [packAny(ClusterSchema, edsCluster((c) => { c.typedExtensionProtocolOptions = { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': packAny(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, { upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http3ProtocolOptions', value: {} } } } })) }; }))],
      /explicit_http_config\.http3_protocol_options: not supported by the Skein proxy/],
    ['a resource of another type', C, () => [packAny(ListenerSchema, outboundListener())], /^resources\[0\]: type type\.googleapis\.com\/envoy\.config\.listener\.v3\.Listener in a type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster response$/],
    ['the same name twice', C, () => [packAny(ClusterSchema, passthroughCluster()), packAny(ClusterSchema, passthroughCluster())], /^Cluster PassthroughCluster: sent twice in one response$/],
    ['bytes that are not a Cluster', C, () => [create(AnySchema, { typeUrl: TypeUrls.cluster, value: new Uint8Array([0x0a, 0xff, 0xff]) })], /^Cluster resources\[0\]: cannot unpack Any/],

    ['failover priorities', E, () => [packAny(ClusterLoadAssignmentSchema, (() => { const c = loadAssignment(); c.endpoints[0]!.priority = 1; return c; })())], /^ClusterLoadAssignment outbound\|9080\|\|reviews\.default\.svc\.cluster\.local: endpoints\[0\]\.priority: only priority 0/],
    ['a DEGRADED endpoint', E, () => [packAny(ClusterLoadAssignmentSchema, (() => { const c = loadAssignment(); c.endpoints[0]!.lbEndpoints[0]!.healthStatus = HealthStatus.DEGRADED; return c; })())], /lb_endpoints\[0\]\.health_status: DEGRADED is not supported/],
    ['drop overloads', E, () => [packAny(ClusterLoadAssignmentSchema, (() => { const c = loadAssignment(); c.policy = create(ClusterLoadAssignment_PolicySchema, { dropOverloads: [{ category: 'x' }] }); return c; })())], /: policy: not supported/],
  ];

  it.each(table)('%s', (_what, typeUrl, anys, reason) => {
    expect(nackOf(typeUrl, anys())).toMatch(reason);
  });
});

describe('translations (Envoy → model)', () => {
  it('HTTP connection manager data-path limits: stream idle timeout, upgrades, path normalization, header count', () => {
    const translate = (edit: Parameters<typeof hcmFilter>[0]) => {
      const l = one(TypeUrls.listener, ListenerSchema, outboundListener([hcmFilter(edit)]));
      if (l.typeUrl !== TypeUrls.listener) throw new Error('expected a listener');
      return l.value.model.filterChains[0]!.filter;
    };
    // Nothing set: the model leaves each to the proxy's default (validate fills them in).
    expect(translate(() => undefined)).not.toHaveProperty('streamIdleTimeoutMs');
    expect(translate(() => undefined)).not.toHaveProperty('pathNormalization');
    expect(translate(() => undefined)).not.toHaveProperty('upgradeTypes');
    expect(translate((h) => {
      h.streamIdleTimeout = create(DurationSchema, { seconds: 30n });
      h.upgradeConfigs = [create(HttpConnectionManager_UpgradeConfigSchema, { upgradeType: 'websocket' }), create(HttpConnectionManager_UpgradeConfigSchema, { upgradeType: 'CONNECT', enabled: false }), create(HttpConnectionManager_UpgradeConfigSchema, { upgradeType: 'spdy/3' })];
      h.normalizePath = true;
      h.mergeSlashes = true;
      h.pathWithEscapedSlashesAction = HttpConnectionManager_PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD;
      h.commonHttpProtocolOptions = { $typeName: 'envoy.config.core.v3.HttpProtocolOptions', maxHeadersCount: 50 } as never;
    })).toMatchObject({ streamIdleTimeoutMs: 30_000, upgradeTypes: ['websocket', 'spdy/3'], pathNormalization: { rfc3986: true, mergeSlashes: true, escapedSlashes: 'unescape' }, maxRequestHeadersCount: 50 });
    // Istio BASE: normalize_path alone. A zero stream idle timeout disables it, as in Envoy.
    expect(translate((h) => {
      h.normalizePath = true;
      h.streamIdleTimeout = create(DurationSchema, {});
    })).toMatchObject({ pathNormalization: { rfc3986: true, mergeSlashes: false, escapedSlashes: 'keep' }, streamIdleTimeoutMs: 0 });
    expect(translate((h) => {
      h.normalizePath = false;
    })).toMatchObject({ pathNormalization: { rfc3986: false, mergeSlashes: false, escapedSlashes: 'keep' } });
  });

  it('an EDS cluster: ring hash, breakers, outlier detection, HTTP/2, mTLS by SDS names', () => {
    const c = edsCluster((x) => {
      x.lbPolicy = Cluster_LbPolicy.RING_HASH;
      x.lbConfig = { case: 'ringHashLbConfig', value: create(Cluster_RingHashLbConfigSchema, { minimumRingSize: 2048n }) };
      x.connectTimeout = create(DurationSchema, { seconds: 1n, nanos: 500_000_000 });
      x.circuitBreakers = create(CircuitBreakersSchema, { thresholds: [{ maxConnections: 10, maxPendingRequests: 5, maxRequests: 20, maxRetries: 2, retryBudget: { budgetPercent: { value: 25 }, minRetryConcurrency: 4 } }] });
      x.outlierDetection = create(OutlierDetectionSchema, {
        consecutive5xx: 3, consecutiveGatewayFailure: 2, enforcingConsecutiveGatewayFailure: 100, interval: { seconds: 5n }, baseEjectionTime: { seconds: 30n }, maxEjectionTime: { seconds: 120n }, maxEjectionPercent: 50,
      });
      x.commonLbConfig = create(Cluster_CommonLbConfigSchema, { healthyPanicThreshold: { value: 0 } });
      x.healthChecks = [create(HealthCheckSchema, { timeout: { seconds: 1n }, interval: { seconds: 5n }, unhealthyThreshold: 3, healthyThreshold: 2, healthChecker: { case: 'httpHealthCheck', value: { path: '/healthz' } } })];
      x.typedExtensionProtocolOptions = { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': packAny(HttpProtocolOptionsSchema, create(HttpProtocolOptionsSchema, { commonHttpProtocolOptions: { maxRequestsPerConnection: 100, idleTimeout: { seconds: 30n } }, upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } } } })) };
    });
    expect(one(TypeUrls.cluster, ClusterSchema, c).value).toEqual({
      eds: REVIEWS,
      model: {
        name: REVIEWS, type: 'eds', lbPolicy: 'ring-hash', ringSize: 2048, connectTimeoutMs: 1500, protocol: 'http2', maxRequestsPerConnection: 100, upstreamIdleTimeoutMs: 30000,
        transport: { kind: 'mtls', certificateSecret: 'default', validationSecret: 'ROOTCA', expectedSans: ['spiffe://cluster.local/ns/default/sa/reviews'], sni: 'outbound_.9080_._.reviews.default.svc.cluster.local' },
        circuitBreakers: { maxConnections: 10, maxPendingRequests: 5, maxRequests: 20, maxRetries: 2, retryBudget: { budgetPercent: 25, minRetryConcurrency: 4 } },
        outlierDetection: { consecutive5xx: 3, consecutiveGatewayErrors: 2, intervalMs: 5000, baseEjectionTimeMs: 30000, maxEjectionTimeMs: 120000, maxEjectionPercent: 50 },
        panicThresholdPercent: 0,
        healthCheck: { path: '/healthz', timeoutMs: 1000, intervalMs: 5000, unhealthyThreshold: 3, healthyThreshold: 2 },
      },
    });
  });

  it('passthrough and inbound clusters; Envoy defaults where fields are unset', () => {
    expect(one(TypeUrls.cluster, ClusterSchema, passthroughCluster()).value).toEqual({
      model: { name: 'PassthroughCluster', type: 'original-dst', connectTimeoutMs: 10000, transport: { kind: 'plaintext' }, protocol: 'http1' },
    });
    const inbound = create(ClusterSchema, {
      name: 'inbound|9080||',
      clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STATIC },
      upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portSpecifier: { case: 'portValue', value: 0 } } },
      loadAssignment: { clusterName: 'inbound|9080||', endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: 'endpoint', value: { address: { address: { case: 'socketAddress', value: { address: '127.0.0.1', portSpecifier: { case: 'portValue', value: 9080 } } } } } } }] }] },
    });
    expect(one(TypeUrls.cluster, ClusterSchema, inbound).value).toEqual({
      model: { name: 'inbound|9080||', type: 'static', lbPolicy: 'round-robin', connectTimeoutMs: 5000, transport: { kind: 'plaintext' }, protocol: 'http1', endpoints: [{ address: '127.0.0.1', port: 9080, health: 'unknown' }] },
    });
  });

  it('endpoints: health, weight and locality', () => {
    const cla = loadAssignment(REVIEWS, ['10.0.0.5', '10.0.0.6']);
    cla.endpoints[0]!.lbEndpoints[1]!.healthStatus = HealthStatus.DRAINING;
    expect(one(TypeUrls.clusterLoadAssignment, ClusterLoadAssignmentSchema, cla).value).toEqual([
      { address: '10.0.0.5', port: 9080, health: 'healthy', weight: 1, locality: { zone: 'zone-a' } },
      { address: '10.0.0.6', port: 9080, health: 'draining', weight: 1, locality: { zone: 'zone-a' } },
    ]);
  });

  it('a route configuration with every supported action and match', () => {
    const rc = create(RouteConfigurationSchema, {
      name: 'r',
      responseHeadersToAdd: [{ header: { key: 'x-mesh', value: 'skein' }, appendAction: 2 }],
      virtualHosts: [{
        name: 'vh', domains: ['reviews', '*.example.com'],
        requestHeadersToRemove: ['x-debug'],
        routes: [
          {
            name: 'split',
            match: {
              pathSpecifier: { case: 'prefix', value: '/api/' }, caseSensitive: false,
              headers: [{ name: 'x-user', headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'prefix', value: 'jason' } } } }, { name: 'x-canary', headerMatchSpecifier: { case: 'presentMatch', value: true }, invertMatch: true }],
              queryParameters: [{ name: 'v', queryParameterMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'prefix', value: 'a.b' } } } }],
            },
            action: { case: 'route', value: {
              clusterSpecifier: { case: 'weightedClusters', value: { clusters: [{ name: 'a', weight: 90 }, { name: 'b', weight: 10, requestHeadersToAdd: [{ header: { key: 'x-b', value: '1' } }] }] } },
              prefixRewrite: '/v2/', hostRewriteSpecifier: { case: 'hostRewriteLiteral', value: 'reviews.internal' },
              retryPolicy: { retryOn: '5xx, connect-failure', numRetries: 3, perTryTimeout: { nanos: 250_000_000 }, retriableStatusCodes: [503], retryBackOff: { baseInterval: { nanos: 10_000_000 }, maxInterval: { nanos: 80_000_000 } } },
              requestMirrorPolicies: [{ cluster: 'mirror', runtimeFraction: { defaultValue: millionth(50) } }],
              hashPolicy: [{ policySpecifier: { case: 'header', value: { headerName: 'x-user' } } }, { policySpecifier: { case: 'cookie', value: { name: 'session', ttl: { seconds: 60n }, path: '/' } }, terminal: true }, { policySpecifier: { case: 'connectionProperties', value: { sourceIp: true } } }],
            } },
            typedPerFilterConfig: { 'envoy.filters.http.fault': packAny(HTTPFaultSchema, create(HTTPFaultSchema, { abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: millionth(25) } })) },
          },
          { match: { pathSpecifier: { case: 'path', value: '/old' } }, action: { case: 'redirect', value: { pathRewriteSpecifier: { case: 'pathRedirect', value: '/new' }, schemeRewriteSpecifier: { case: 'httpsRedirect', value: true }, responseCode: 4 } } },
          { match: { pathSpecifier: { case: 'prefix', value: '' } }, action: { case: 'directResponse', value: { status: 404, body: { specifier: { case: 'inlineString', value: 'nope' } } } } },
        ],
      }],
    });
    expect(one(TypeUrls.routeConfiguration, RouteConfigurationSchema, rc).value).toEqual({
      name: 'r',
      responseHeadersToAdd: [{ name: 'x-mesh', value: 'skein', action: 'overwrite' }],
      virtualHosts: [{
        name: 'vh', domains: ['reviews', '*.example.com'], requestHeadersToRemove: ['x-debug'],
        routes: [
          {
            name: 'split',
            match: { path: { prefix: '/api/' }, caseSensitive: false, headers: [{ name: 'x-user', prefix: 'jason' }, { name: 'x-canary', present: true, invert: true }], queryParameters: [{ name: 'v', regex: 'a\\.b.*' }] },
            action: {
              kind: 'route', weightedClusters: [{ name: 'a', weight: 90 }, { name: 'b', weight: 10, requestHeadersToAdd: [{ name: 'x-b', value: '1', action: 'append' }] }],
              prefixRewrite: '/v2/', hostRewrite: 'reviews.internal', timeoutMs: 15000,
              retryPolicy: { retryOn: ['5xx', 'connect-failure'], numRetries: 3, perTryTimeoutMs: 250, retriableStatusCodes: [503], backoffBaseMs: 10, backoffMaxMs: 80 },
              mirrorPolicies: [{ cluster: 'mirror', percent: 50 }],
              hashPolicy: [{ header: 'x-user' }, { cookie: { name: 'session', ttlMs: 60000, path: '/' }, terminal: true }, { sourceIp: true }],
            },
            fault: { abort: { httpStatus: 503, percent: 25 } },
          },
          { match: { path: { exact: '/old' } }, action: { kind: 'redirect', scheme: 'https', path: '/new', responseCode: 308 } },
          { match: {}, action: { kind: 'direct', status: 404, body: 'nope' } },
        ],
      }],
    });
  });

  it('HTTP filters in order; no-op filters (RBAC without rules, disabled rate limit, optional unknown) are left out', () => {
    const l = one(TypeUrls.listener, ListenerSchema, outboundListener([hcmFilter((h) => {
      h.httpFilters = [
        { name: 'envoy.filters.http.fault', configType: typed(HTTPFaultSchema, { delay: { faultDelaySecifier: { case: 'fixedDelay', value: { seconds: 5n } }, percentage: millionth(10) } }) },
        { name: 'envoy.filters.http.rbac', configType: typed(HttpRbacSchema, {}) },
        { name: 'envoy.filters.http.local_ratelimit', configType: typed(LocalRateLimitSchema, { statPrefix: 'off' }) },
        { name: 'envoy.filters.http.local_ratelimit', configType: typed(LocalRateLimitSchema, { statPrefix: 'on', tokenBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: { seconds: 1n } }, filterEnabled: { defaultValue: millionth(100) }, filterEnforced: { defaultValue: millionth(100) } }) },
        { name: 'envoy.filters.http.lua', isOptional: true, configType: { case: 'typedConfig' as const, value: unknownAny('envoy.extensions.filters.http.lua.v3.Lua') } },
        { name: 'envoy.filters.http.router', configType: typed(RouterSchema, {}) },
      ].map((f) => create(HttpFilterSchema, f));
    })]));
    if (l.typeUrl !== TypeUrls.listener) throw new Error('expected a listener');
    const chain = l.value.model.filterChains[0]!;
    expect(chain.match).toEqual({ destinationAddresses: ['10.96.0.10'], destinationPort: 9080 });
    expect(chain.filter).toEqual({
      type: 'http', statPrefix: 'outbound_9080', codec: 'auto', forwardClientCert: 'sanitize', rds: '9080', idleTimeoutMs: 3_600_000,
      httpFilters: [{ type: 'fault', fault: { delay: { fixedDelayMs: 5000, percent: 10 } } }, { type: 'local-rate-limit', rateLimit: { maxTokens: 10, tokensPerFill: 5, fillIntervalMs: 1000 } }, { type: 'router' }],
    });
    expect(l.value.model.defaultChain).toEqual({ name: 'PassthroughCluster', match: {}, filter: { type: 'tcp', statPrefix: 'PassthroughCluster', cluster: 'PassthroughCluster', idleTimeoutMs: 3_600_000 } });
    expect(l.value.rds).toEqual(['9080']);
  });

  it('several chains sharing one route configuration (one per service VIP on a port) ask for it once', () => {
    const l = one(TypeUrls.listener, ListenerSchema, outboundListener([hcmFilter()], (x) => {
      const second = structuredClone(x.filterChains[0]!);
      second.name = '10.96.0.11_9080';
      second.filterChainMatch!.prefixRanges[0]!.addressPrefix = '10.96.0.11';
      x.filterChains.push(second);
    }));
    expect(l.typeUrl === TypeUrls.listener && l.value.rds).toEqual(['9080']);
  });

  it('RBAC trees become rules: permissions × principals in disjunctive normal form', () => {
    const l = one(TypeUrls.listener, ListenerSchema, outboundListener([
      { name: 'envoy.filters.network.rbac', configType: typed(NetworkRbacSchema, { statPrefix: 'deny', rules: { action: RBAC_Action.DENY, policies: { d: { permissions: [{ rule: { case: 'any', value: true } }], principals: [{ identifier: { case: 'notId', value: { identifier: { case: 'authenticated', value: { principalName: { matchPattern: { case: 'prefix', value: 'spiffe://cluster.local/ns/prod/' } } } } } } }] } } } }) },
      { name: 'envoy.filters.network.rbac', configType: typed(NetworkRbacSchema, { statPrefix: 'allow', rules: { action: RBAC_Action.ALLOW, policies: { a: {
        permissions: [{ rule: { case: 'andRules', value: { rules: [
          { rule: { case: 'orRules', value: { rules: [{ rule: { case: 'destinationPort', value: 80 } }, { rule: { case: 'destinationPort', value: 443 } }] } } },
          { rule: { case: 'notRule', value: { rule: { case: 'destinationPort', value: 8080 } } } },
        ] } } }],
        principals: [{ identifier: { case: 'orIds', value: { ids: [
          { identifier: { case: 'authenticated', value: { principalName: { matchPattern: { case: 'exact', value: 'spiffe://cluster.local/ns/a/sa/b' } } } } },
          { identifier: { case: 'authenticated', value: { principalName: { matchPattern: { case: 'safeRegex', value: { regex: '^spiffe://[^/]+/ns/monitoring/sa/[^/]+$' } } } } } },
        ] } } }],
      } } } }) },
      tcpFilter('inbound|9000||'),
    ]));
    if (l.typeUrl !== TypeUrls.listener) throw new Error('expected a listener');
    const f = l.value.model.filterChains[0]!.filter;
    expect(f.type === 'tcp' && f.rbac).toEqual({ policies: [
      { name: 'd', action: 'DENY', rules: [{ notPrincipals: ['cluster.local/ns/prod/*'] }] },
      { name: 'a', action: 'ALLOW', rules: [
        { ports: [80, 443], notPorts: [8080], principals: ['cluster.local/ns/a/sa/b'] },
        { ports: [80, 443], notPorts: [8080], namespaces: ['monitoring'] },
      ] },
    ] });
  });

  it('authenticated without a principal name means any peer with a verified certificate', () => {
    const l = one(TypeUrls.listener, ListenerSchema, outboundListener([
      { name: 'envoy.filters.network.rbac', configType: typed(NetworkRbacSchema, { statPrefix: 'x', rules: { action: RBAC_Action.ALLOW, policies: { mtls: { permissions: [{ rule: { case: 'any', value: true } }], principals: [{ identifier: { case: 'authenticated', value: {} } }] } } } }) },
      tcpFilter('inbound|9000||'),
    ]));
    const f = l.typeUrl === TypeUrls.listener ? l.value.model.filterChains[0]!.filter : undefined;
    expect(f?.type === 'tcp' && f.rbac).toEqual({ policies: [{ name: 'mtls', action: 'ALLOW', rules: [{ principals: ['*'] }] }] });
  });

  it('an ALLOW RBAC filter without policies denies everything, as in Envoy', () => {
    const l = one(TypeUrls.listener, ListenerSchema, outboundListener([
      { name: 'envoy.filters.network.rbac', configType: typed(NetworkRbacSchema, { statPrefix: 'x', rules: { action: RBAC_Action.ALLOW } }) },
      tcpFilter('inbound|9000||'),
    ]));
    if (l.typeUrl !== TypeUrls.listener) throw new Error('expected a listener');
    const f = l.value.model.filterChains[0]!.filter;
    expect(f.type === 'tcp' && f.rbac).toEqual({ policies: [{ name: '(no policies: deny all)', action: 'ALLOW', rules: [] }] });
  });

  it('an explicit local-mode listener stands for the service port from the node metadata; TCP weighted clusters', () => {
    const l = one(TypeUrls.listener, ListenerSchema, create(ListenerSchema, {
      name: 'outbound_127.0.0.1_15101',
      address: { address: { case: 'socketAddress', value: { address: '127.0.0.1', portSpecifier: { case: 'portValue', value: 15101 } } } },
      trafficDirection: TrafficDirection.OUTBOUND,
      filterChains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', configType: typed(TcpProxySchema, { statPrefix: 's', idleTimeout: { seconds: 60n }, clusterSpecifier: { case: 'weightedClusters', value: { clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] } } }) }] }],
    }));
    if (l.typeUrl !== TypeUrls.listener) throw new Error('expected a listener');
    expect(l.value.model).toEqual({
      name: 'outbound_127.0.0.1_15101', address: '127.0.0.1', port: 15101, kind: 'outbound-explicit', destinationPort: 9080,
      filterChains: [{ name: 'filter_chains[0]', match: {}, filter: { type: 'tcp', statPrefix: 's', weightedClusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }], idleTimeoutMs: 60000 } }],
    });
  });
});
