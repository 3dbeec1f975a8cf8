/**
 * Envoy resources shaped like the control plane's (operator/src/core/translate), built with
 * protobuf-es `create(...)`, for the xDS client's tests. Each builder takes overrides.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import { ClusterSchema, Cluster_DiscoveryType, Cluster_LbPolicy, type Cluster } from '../../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { TrafficDirection } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import { ApiVersion } from '../../../../api/gen/envoy/config/core/v3/config_source_pb';
import { HealthStatus } from '../../../../api/gen/envoy/config/core/v3/health_check_pb';
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema, type Listener } from '../../../../api/gen/envoy/config/listener/v3/listener_pb';
import type { FilterSchema } from '../../../../api/gen/envoy/config/listener/v3/listener_components_pb';
import { RouteConfigurationSchema, type RouteConfiguration } from '../../../../api/gen/envoy/config/route/v3/route_pb';
import { RouterSchema } from '../../../../api/gen/envoy/extensions/filters/http/router/v3/router_pb';
import { HttpConnectionManagerSchema, type HttpConnectionManager } from '../../../../api/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb';
import { TcpProxySchema } from '../../../../api/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb';
import { SubjectAltNameMatcher_SanType } from '../../../../api/gen/envoy/extensions/transport_sockets/tls/v3/common_pb';
import { UpstreamTlsContextSchema } from '../../../../api/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb';
import { packAny } from '../../../../api/src/xds/any';

export const ads = { configSourceSpecifier: { case: 'ads' as const, value: {} }, resourceApiVersion: ApiVersion.V3 };
export const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
export const REVIEWS_ID = 'spiffe://cluster.local/ns/default/sa/reviews';
export const ROUTE_9080 = '9080';

export type FilterInit = MessageInitShape<typeof FilterSchema>;

function withEdit<T>(message: T, edit: (m: T) => void): T {
  edit(message);
  return message;
}

export function hcmFilter(edit: (m: HttpConnectionManager) => void = () => undefined): FilterInit {
  const base: MessageInitShape<typeof HttpConnectionManagerSchema> = {
    statPrefix: 'outbound_9080',
    routeSpecifier: { case: 'rds', value: { routeConfigName: ROUTE_9080, configSource: ads } },
    httpFilters: [{ name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: packAny(RouterSchema, create(RouterSchema)) } }],
  };
  const hcm = create(HttpConnectionManagerSchema, base);
  edit(hcm);
  return { name: 'envoy.filters.network.http_connection_manager', configType: { case: 'typedConfig', value: packAny(HttpConnectionManagerSchema, hcm) } };
}

export function tcpFilter(cluster: string): FilterInit {
  const tcp = create(TcpProxySchema, { statPrefix: cluster, clusterSpecifier: { case: 'cluster', value: cluster } });
  return { name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig', value: packAny(TcpProxySchema, tcp) } };
}

export function upstreamMtls(sans: string[] = [REVIEWS_ID]): Any {
  return packAny(UpstreamTlsContextSchema, create(UpstreamTlsContextSchema, {
    sni: 'outbound_.9080_._.reviews.default.svc.cluster.local',
    commonTlsContext: {
      alpnProtocols: ['h2', 'http/1.1'],
      tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: ads }],
      validationContextType: {
        case: 'combinedValidationContext',
        value: {
          defaultValidationContext: { matchTypedSubjectAltNames: sans.map((id) => ({ sanType: SubjectAltNameMatcher_SanType.URI, matcher: { matchPattern: { case: 'exact' as const, value: id } } })) },
          validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: ads },
        },
      },
    },
  }));
}

/** `outbound|9080||reviews…`: EDS, mTLS to the reviews identity. */
export function edsCluster(edit: (m: Cluster) => void = () => undefined): Cluster {
  const base: MessageInitShape<typeof ClusterSchema> = {
    name: REVIEWS,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: ads, serviceName: REVIEWS },
    connectTimeout: { seconds: 10n },
    transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig', value: upstreamMtls() } },
  };
  return withEdit(create(ClusterSchema, base), edit);
}

export function passthroughCluster(): Cluster {
  return create(ClusterSchema, {
    name: 'PassthroughCluster',
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.ORIGINAL_DST },
    lbPolicy: Cluster_LbPolicy.CLUSTER_PROVIDED,
    connectTimeout: { seconds: 10n },
  });
}

export function loadAssignment(clusterName = REVIEWS, addresses: string[] = ['10.0.0.5']): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [{
      locality: { zone: 'zone-a' },
      loadBalancingWeight: addresses.length,
      lbEndpoints: addresses.map((a) => ({
        hostIdentifier: { case: 'endpoint' as const, value: { address: { address: { case: 'socketAddress' as const, value: { address: a, portSpecifier: { case: 'portValue' as const, value: 9080 } } } } } },
        healthStatus: HealthStatus.HEALTHY,
        loadBalancingWeight: 1,
      })),
    }],
  });
}

/** `virtualOutbound` :15001: the reviews VIP:9080 → HCM over RDS `9080`; anything else → PassthroughCluster. */
export function outboundListener(filters: FilterInit[] = [hcmFilter()], edit: (m: Listener) => void = () => undefined): Listener {
  const base: MessageInitShape<typeof ListenerSchema> = {
    name: 'virtualOutbound',
    address: { address: { case: 'socketAddress', value: { address: '0.0.0.0', portSpecifier: { case: 'portValue', value: 15001 } } } },
    useOriginalDst: true,
    trafficDirection: TrafficDirection.OUTBOUND,
    filterChains: [{ name: '10.96.0.10_9080', filterChainMatch: { prefixRanges: [{ addressPrefix: '10.96.0.10', prefixLen: 32 }], destinationPort: 9080 }, filters }],
    defaultFilterChain: { name: 'PassthroughCluster', filters: [tcpFilter('PassthroughCluster')] },
  };
  return withEdit(create(ListenerSchema, base), edit);
}

export function routeConfig(cluster = REVIEWS, edit: (m: RouteConfiguration) => void = () => undefined): RouteConfiguration {
  const base: MessageInitShape<typeof RouteConfigurationSchema> = {
    name: ROUTE_9080,
    virtualHosts: [{
      name: 'reviews.default.svc.cluster.local:9080',
      domains: ['reviews.default.svc.cluster.local', 'reviews', 'reviews:9080'],
      routes: [{ name: 'default', match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster }, timeout: { seconds: 0n } } } }],
    }],
  };
  return withEdit(create(RouteConfigurationSchema, base), edit);
}
