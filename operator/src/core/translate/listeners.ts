/** Listeners: virtualOutbound (:15001), virtualInbound (:15006) and explicit local-mode outbound listeners. */
import { ProxyPorts } from '../../../../api/src/names';
import { type PolicyObject, type ServiceModel, type ServicePortModel } from '../model';
import { isHttpProtocol } from '../protocol';
import { type AuthorizationPolicySpec, type TcpRoute } from '../policy-types';
import { type LocalRateLimit } from '../../../../api/src/crd/rate-limit';
import { FilterNames, type Json, TypeUrls, adsConfigSource, fractionOfMillion, msToDuration, socketAddress, typed } from './envoy';
import {
  BlackHoleCluster, InboundPassthroughCluster, PassthroughCluster, VirtualInboundListener, VirtualOutboundListener,
  inboundClusterName, outboundClusterName, outboundRouteName,
} from './names';
import { type EffectiveMtls, type WorkloadMtls, portMtls } from './peer-auth';
import { httpRbacFilters, networkRbacFilters } from './rbac';
import { virtualHost } from './routes';
import { type MeshScope, resolveDestination, sourceMatches } from './scope';
import { cidrContains } from '../../../../api/src/net';
import { downstreamMtls } from './tls';

const routerFilter: Json = { name: FilterNames.router, typed_config: typed(TypeUrls.router, {}) };
const faultFilter: Json = { name: FilterNames.fault, typed_config: typed(TypeUrls.fault, {}) };

/**
 * Inbound side: the app sees the caller's SPIFFE id in `x-forwarded-client-cert` (`URI=`); whatever
 * XFCC the caller sent is replaced, so an app can trust the header.
 */
export const InboundClientCertDetails: Json = {
  forward_client_cert_details: 'SANITIZE_SET',
  set_current_client_cert_details: { uri: true },
};

/** HTTP connection manager; filter order is always fault → rbac → router. */
export function httpConnectionManager(statPrefix: string, routeSource: { rds: string } | { inline: Json }, rbac: Json[] = [], rateLimit: Json[] = [], extra: Json = {}): Json {
  const routes = 'rds' in routeSource
    ? { rds: { route_config_name: routeSource.rds, config_source: adsConfigSource } }
    : { route_config: routeSource.inline };
  return {
    name: FilterNames.hcm,
    typed_config: typed(TypeUrls.hcm, {
      stat_prefix: statPrefix,
      ...routes,
      http_filters: [faultFilter, ...rbac, ...rateLimit, routerFilter],
      use_remote_address: false,
      ...extra,
    }),
  };
}

function tcpProxy(statPrefix: string, clusters: { name: string; weight: number }[]): Json {
  const target = clusters.length === 1 ? { cluster: clusters[0]!.name } : { weighted_clusters: { clusters } };
  return { name: FilterNames.tcpProxy, typed_config: typed(TypeUrls.tcpProxy, { stat_prefix: statPrefix, ...target }) };
}

/** TCP destinations for a service port: from the VirtualService's tcp routes, else the service itself. */
function tcpClusters(scope: MeshScope, service: ServiceModel, port: ServicePortModel): { name: string; weight: number }[] {
  const vs = scope.virtualService(service);
  const route: TcpRoute | undefined = vs?.spec.tcp?.find((t) => !t.match?.length || t.match.some((m) =>
    (m.port === undefined || m.port === port.port) &&
    sourceMatches(scope, m.sourceLabels) &&
    (!m.destinationSubnets?.length || service.vips.some((vip) => m.destinationSubnets!.some((cidr) => cidrContains(cidr, vip))))));
  if (!vs || !route?.route?.length) return [{ name: outboundClusterName(port.port, '', service.fqdn), weight: 100 }];
  return route.route.map((d) => {
    const r = resolveDestination(scope, d.destination, vs.namespace, port.port);
    return { name: r.ok ? outboundClusterName(r.port, r.subset, r.service.fqdn) : BlackHoleCluster, weight: d.weight ?? 100 };
  });
}

function outboundFilters(scope: MeshScope, service: ServiceModel, port: ServicePortModel, statPrefix: string, routeName: string): Json[] {
  return isHttpProtocol(port.protocol)
    ? [httpConnectionManager(statPrefix, { rds: routeName })]
    : [tcpProxy(statPrefix, tcpClusters(scope, service, port))];
}

function prefixLen(ip: string): number {
  return ip.includes(':') ? 128 : 32;
}

export function virtualOutbound(scope: MeshScope): Json {
  const chains: Json[] = [];
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      for (const vip of service.vips) {
        chains.push({
          name: `${vip}_${port.port}`,
          filter_chain_match: { prefix_ranges: [{ address_prefix: vip, prefix_len: prefixLen(vip) }], destination_port: port.port },
          filters: outboundFilters(scope, service, port, `outbound_${vip}_${port.port}`, outboundRouteName(port.port)),
        });
      }
    }
  }
  return typed(TypeUrls.listener, {
    name: VirtualOutboundListener,
    address: socketAddress('0.0.0.0', ProxyPorts.outbound),
    use_original_dst: true,
    traffic_direction: 'OUTBOUND',
    filter_chains: chains,
    default_filter_chain: { name: PassthroughCluster, filters: [tcpProxy(PassthroughCluster, [{ name: PassthroughCluster, weight: 100 }])] },
  });
}

/** A port the workload serves: the service port's target port, with the protocol of the service port. */
export interface InboundPort {
  port: number;
  protocol: ServicePortModel['protocol'];
}

/**
 * The pod's `traffic.skein.dev/rateLimit` as Envoy's local_ratelimit filter (every inbound HTTP
 * port, one token bucket per port; over the limit → 429). Empty when the pod sets none.
 */
export function inboundRateLimit(limit: LocalRateLimit | undefined): Json[] {
  if (!limit) return [];
  const all = { default_value: fractionOfMillion(100) };
  return [{
    name: FilterNames.localRateLimit,
    typed_config: typed(TypeUrls.localRateLimit, {
      stat_prefix: 'inbound_rate_limit',
      token_bucket: { max_tokens: limit.tokens, tokens_per_fill: limit.tokens, fill_interval: msToDuration(limit.fillIntervalMs) },
      filter_enabled: all,
      filter_enforced: all,
    }),
  }];
}

function inboundFilters(port: InboundPort, authz: PolicyObject<AuthorizationPolicySpec>[], rateLimit: Json[] = []): Json[] {
  const cluster = inboundClusterName(port.port);
  const prefix = `inbound_${port.port}`;
  if (isHttpProtocol(port.protocol)) {
    const routeConfig = {
      name: cluster,
      virtual_hosts: [{ name: `inbound|http|${port.port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s' } }] }],
      validate_clusters: false,
    };
    return [httpConnectionManager(prefix, { inline: routeConfig }, httpRbacFilters(authz), rateLimit, InboundClientCertDetails)];
  }
  return [...networkRbacFilters(authz, prefix), tcpProxy(prefix, [{ name: cluster, weight: 100 }])];
}

function chainsForMode(name: string, match: Json, mode: EffectiveMtls, filters: Json[]): Json[] {
  const tls = { name: `${name}_mtls`, filter_chain_match: { ...match, transport_protocol: 'tls' }, transport_socket: downstreamMtls(), filters };
  const plain = { name: `${name}_plaintext`, filter_chain_match: { ...match, transport_protocol: 'raw_buffer' }, filters };
  if (mode === 'STRICT') return [tls];
  if (mode === 'DISABLE') return [{ name, filter_chain_match: match, filters }];
  return [tls, plain];
}

const tlsInspector: Json = { name: FilterNames.tlsInspector, typed_config: typed(TypeUrls.tlsInspector, {}) };

/**
 * Local mode (no iptables): an explicit inbound listener on `<address>:<listenPort>` for one port
 * the workload serves, with the same mTLS mode and RBAC as that port on virtualInbound. Peers reach
 * the workload there (its EndpointSlice lists this address and port).
 */
export function localInboundListener(address: string, listenPort: number, port: InboundPort, mtls: WorkloadMtls, authz: PolicyObject<AuthorizationPolicySpec>[], rateLimit: Json[] = []): Json {
  const name = `inbound_${address}_${listenPort}`;
  return typed(TypeUrls.listener, {
    name,
    address: socketAddress(address, listenPort),
    traffic_direction: 'INBOUND',
    listener_filters: [tlsInspector],
    filter_chains: chainsForMode(`inbound_${port.port}`, {}, portMtls(mtls, port.port), inboundFilters(port, authz, rateLimit)),
  });
}

export function virtualInbound(ports: InboundPort[], mtls: WorkloadMtls, authz: PolicyObject<AuthorizationPolicySpec>[], rateLimit: Json[] = []): Json {
  const chains: Json[] = [];
  for (const port of ports) {
    chains.push(...chainsForMode(`inbound_${port.port}`, { destination_port: port.port }, portMtls(mtls, port.port), inboundFilters(port, authz, rateLimit)));
  }
  const passthrough = [...networkRbacFilters(authz, InboundPassthroughCluster), tcpProxy(InboundPassthroughCluster, [{ name: InboundPassthroughCluster, weight: 100 }])];
  chains.push(...chainsForMode('inbound_passthrough', {}, mtls.mode, passthrough));
  return typed(TypeUrls.listener, {
    name: VirtualInboundListener,
    address: socketAddress('0.0.0.0', ProxyPorts.inbound),
    use_original_dst: true,
    traffic_direction: 'INBOUND',
    listener_filters: [tlsInspector],
    filter_chains: chains,
  });
}

/**
 * Local mode (no iptables): an explicit listener on 127.0.0.1:<listenPort> for one service port.
 * HTTP gets its own RouteConfiguration `outbound_127.0.0.1_<listenPort>` matching any Host, so the
 * app can call `http://127.0.0.1:<listenPort>/` without naming the service.
 */
export interface LocalOutbound {
  listenPort: number;
  service: ServiceModel;
  servicePort: ServicePortModel;
}

export function localOutboundListener(scope: MeshScope, entry: LocalOutbound): { listener: Json; route?: Json } {
  const { service, servicePort, listenPort } = entry;
  const name = `outbound_127.0.0.1_${listenPort}`;
  const listener = (filters: Json[]) => typed(TypeUrls.listener, {
    name, address: socketAddress('127.0.0.1', listenPort), traffic_direction: 'OUTBOUND', filter_chains: [{ filters }],
  });
  if (!isHttpProtocol(servicePort.protocol)) {
    return { listener: listener([tcpProxy(name, tcpClusters(scope, service, servicePort))]) };
  }
  const route = typed(TypeUrls.route, { name, virtual_hosts: [virtualHost(scope, service, servicePort, ['*'])], validate_clusters: false });
  return { listener: listener([httpConnectionManager(name, { rds: name })]), route };
}
