/**
 * Sample resources shaped like the ones Skein's control plane sends (inbound listener with
 * HCM → fault → rbac → router, a TCP chain, an outbound EDS cluster with mTLS via SDS names).
 * Used by tests here and elsewhere; not a source of truth for the translator.
 */
import { create } from '@bufbuild/protobuf';
import { ClusterSchema, Cluster_DiscoveryType, Cluster_LbPolicy, type Cluster } from '../../gen/envoy/config/cluster/v3/cluster_pb';
import { ApiVersion } from '../../gen/envoy/config/core/v3/config_source_pb';
import { ListenerSchema, type Listener } from '../../gen/envoy/config/listener/v3/listener_pb';
import { RBAC_Action } from '../../gen/envoy/config/rbac/v3/rbac_pb';
import { HTTPFaultSchema } from '../../gen/envoy/extensions/filters/http/fault/v3/fault_pb';
import { RBACSchema as HttpRbacSchema } from '../../gen/envoy/extensions/filters/http/rbac/v3/rbac_pb';
import { RouterSchema } from '../../gen/envoy/extensions/filters/http/router/v3/router_pb';
import { TlsInspectorSchema } from '../../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb';
import { HttpConnectionManagerSchema } from '../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb';
import { TcpProxySchema } from '../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb';
import { SubjectAltNameMatcher_SanType } from '../../gen/envoy/extensions/transport_sockets/tls/v3/common_pb';
import { UpstreamTlsContextSchema } from '../../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb';
import { HttpProtocolOptionsSchema } from '../../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb';
import { packAny } from './any';

const ads = { configSourceSpecifier: { case: 'ads' as const, value: {} }, resourceApiVersion: ApiVersion.V3 };

export const SAMPLE_ROUTE_NAME = 'inbound|8080||';
export const SAMPLE_CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/productpage';

/** `virtualInbound` on :15006 with an HTTP chain (port 8080, RDS) and a TCP chain (port 9000). */
export function sampleInboundListener(): Listener {
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: 'inbound_0.0.0.0_8080',
    routeSpecifier: { case: 'rds', value: { routeConfigName: SAMPLE_ROUTE_NAME, configSource: ads } },
    httpFilters: [
      { name: 'envoy.filters.http.fault', configType: { case: 'typedConfig', value: packAny(HTTPFaultSchema, create(HTTPFaultSchema, { maxActiveFaults: 100 })) } },
      {
        name: 'envoy.filters.http.rbac',
        configType: {
          case: 'typedConfig',
          value: packAny(HttpRbacSchema, create(HttpRbacSchema, {
            rules: {
              action: RBAC_Action.ALLOW,
              policies: {
                'ns[default]-policy[allow-productpage]-rule[0]': {
                  permissions: [{ rule: { case: 'any', value: true } }],
                  principals: [{ identifier: { case: 'authenticated', value: { principalName: { matchPattern: { case: 'exact', value: SAMPLE_CLIENT_ID } } } } }],
                },
              },
            },
          })),
        },
      },
      { name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: packAny(RouterSchema, create(RouterSchema)) } },
    ],
  });
  const tcp = create(TcpProxySchema, { statPrefix: 'inbound|9000||', clusterSpecifier: { case: 'cluster', value: 'inbound|9000||' } });
  return create(ListenerSchema, {
    name: 'virtualInbound',
    address: { address: { case: 'socketAddress', value: { address: '0.0.0.0', portSpecifier: { case: 'portValue', value: 15006 } } } },
    listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector', configType: { case: 'typedConfig', value: packAny(TlsInspectorSchema, create(TlsInspectorSchema)) } }],
    filterChains: [
      {
        name: 'inbound|8080||',
        filterChainMatch: { destinationPort: 8080 },
        filters: [{ name: 'envoy.filters.network.http_connection_manager', configType: { case: 'typedConfig', value: packAny(HttpConnectionManagerSchema, hcm) } }],
      },
      {
        name: 'inbound|9000||',
        filterChainMatch: { destinationPort: 9000 },
        filters: [{ name: 'envoy.filters.network.tcp_proxy', configType: { case: 'typedConfig', value: packAny(TcpProxySchema, tcp) } }],
      },
    ],
  });
}

export const SAMPLE_CLUSTER_NAME = 'outbound|9080||reviews.default.svc.cluster.local';
export const SAMPLE_SERVER_ID = 'spiffe://cluster.local/ns/default/sa/reviews';

/** An outbound EDS cluster with outlier detection, HTTP/2 upstream and mTLS via SDS `default`/`ROOTCA`. */
export function sampleOutboundCluster(): Cluster {
  const tls = create(UpstreamTlsContextSchema, {
    sni: SAMPLE_CLUSTER_NAME,
    commonTlsContext: {
      alpnProtocols: ['h2'],
      tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: ads }],
      validationContextType: {
        case: 'combinedValidationContext',
        value: {
          defaultValidationContext: { matchTypedSubjectAltNames: [{ sanType: SubjectAltNameMatcher_SanType.URI, matcher: { matchPattern: { case: 'exact', value: SAMPLE_SERVER_ID } } }] },
          validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: ads },
        },
      },
    },
  });
  const http2 = create(HttpProtocolOptionsSchema, {
    upstreamProtocolOptions: { case: 'explicitHttpConfig', value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } } },
  });
  return create(ClusterSchema, {
    name: SAMPLE_CLUSTER_NAME,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: ads, serviceName: SAMPLE_CLUSTER_NAME },
    connectTimeout: { seconds: 10n },
    lbPolicy: Cluster_LbPolicy.LEAST_REQUEST,
    outlierDetection: { consecutive5xx: 5, interval: { seconds: 10n }, baseEjectionTime: { seconds: 30n }, maxEjectionPercent: 50 },
    typedExtensionProtocolOptions: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': packAny(HttpProtocolOptionsSchema, http2) },
    transportSocket: { name: 'envoy.transport_sockets.tls', configType: { case: 'typedConfig', value: packAny(UpstreamTlsContextSchema, tls) } },
  });
}
