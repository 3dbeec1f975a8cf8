/**
 * Envoy v3 resources as proto3 JSON (snake_case field names, `@type` on every Any), the same shape
 * Envoy prints in a config dump. The ADS server turns them into protobuf; golden tests and
 * `skein proxy-config` print them as they are.
 */
import { parseDuration } from '../../../../api/src/duration';

export type Json = { [field: string]: unknown };

export const TypeUrls = {
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  hcm: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  fault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  localRateLimit: 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  httpRbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  networkRbac: 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  upstreamTls: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  downstreamTls: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;

/** The four resource types a proxy subscribes to, in ADS push order (CDS → EDS → LDS → RDS). */
export const XdsTypeOrder = [TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route] as const;
export type XdsTypeUrl = (typeof XdsTypeOrder)[number];

export const FilterNames = {
  hcm: 'envoy.filters.network.http_connection_manager',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  router: 'envoy.filters.http.router',
  fault: 'envoy.filters.http.fault',
  localRateLimit: 'envoy.filters.http.local_ratelimit',
  httpRbac: 'envoy.filters.http.rbac',
  networkRbac: 'envoy.filters.network.rbac',
  tlsInspector: 'envoy.filters.listener.tls_inspector',
  tls: 'envoy.transport_sockets.tls',
} as const;

/** Config source for RDS/EDS/SDS: the same ADS stream. */
export const adsConfigSource: Json = { ads: {}, resource_api_version: 'V3' };

/** Istio-style duration text (`1.5s`, `100ms`) → proto3 JSON Duration (`1.500s`). */
export function envoyDuration(text: string): string {
  return msToDuration(parseDuration(text));
}

export function msToDuration(ms: number): string {
  // Canonical proto3 JSON: 0, 3, 6 or 9 fractional digits.
  if (Number.isInteger(ms / 1000)) return `${ms / 1000}s`;
  return Number.isInteger(ms) ? `${(ms / 1000).toFixed(3)}s` : `${(ms / 1000).toFixed(6)}s`;
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

export function typed(typeUrl: string, body: Json): Json {
  return { '@type': typeUrl, ...body };
}

/** Fractional percent out of a million, from an Istio percentage (0–100, may be fractional). */
export function fractionOfMillion(percent: number): Json {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}
