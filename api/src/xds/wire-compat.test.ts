// Wire compatibility with the code @grpc/grpc-js-xds runs: bytes we encode decode with its own
// decodeSingleResource (protobufjs over the Envoy protos via @grpc/proto-loader), and bytes
// protobufjs encodes decode with our generated types.
import path from 'node:path';
import { create, equals, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { loadProtosWithOptionsSync } from '@grpc/proto-loader/build/src/util';
import {
  CDS_TYPE_URL,
  DOWNSTREAM_TLS_CONTEXT_TYPE_URL,
  HTTP_CONNECTION_MANGER_TYPE_URL,
  LDS_TYPE_URL,
  UPSTREAM_TLS_CONTEXT_TYPE_URL,
  decodeSingleResource,
} from '@grpc/grpc-js-xds/build/src/resources';
import type { Type } from 'protobufjs';
import { ClusterSchema } from '../../gen/envoy/config/cluster/v3/cluster_pb';
import { ListenerSchema } from '../../gen/envoy/config/listener/v3/listener_pb';
import { RBAC_Action } from '../../gen/envoy/config/rbac/v3/rbac_pb';
import { HTTPFaultSchema } from '../../gen/envoy/extensions/filters/http/fault/v3/fault_pb';
import { RBACSchema as HttpRbacSchema } from '../../gen/envoy/extensions/filters/http/rbac/v3/rbac_pb';
import { HttpConnectionManagerSchema } from '../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb';
import { DownstreamTlsContextSchema } from '../../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb';
import { unpackAnyAs } from './any';
import { SAMPLE_CLIENT_ID, SAMPLE_CLUSTER_NAME, SAMPLE_ROUTE_NAME, SAMPLE_SERVER_ID, sampleInboundListener, sampleOutboundCluster } from './test-fixtures';
import { TypeUrls, typeUrlOf } from './type-urls';

const DEPS = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/** protobufjs, loading the same .proto files and include dirs as grpc-js-xds does. */
const root = loadProtosWithOptionsSync(
  [
    'envoy/config/listener/v3/listener.proto',
    'envoy/config/cluster/v3/cluster.proto',
    'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
    'envoy/extensions/filters/http/rbac/v3/rbac.proto',
    'envoy/extensions/filters/http/fault/v3/fault.proto',
    'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  ],
  { keepCase: true, includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(DEPS, d)) },
);
const pbjs = (name: string): Type => root.lookupType(name);
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes);

describe('our encoding, decoded by grpc-js-xds', () => {
  it('uses the same resource type URLs', () => {
    expect([TypeUrls.listener, TypeUrls.cluster]).toEqual([LDS_TYPE_URL, CDS_TYPE_URL]);
    expect(typeUrlOf(HttpConnectionManagerSchema)).toBe(HTTP_CONNECTION_MANGER_TYPE_URL);
  });

  it('a Listener whose filter chain holds an HttpConnectionManager (in Any) with an RDS name', () => {
    const listener = decodeSingleResource(LDS_TYPE_URL, asBuffer(toBinary(ListenerSchema, sampleInboundListener())));
    expect(listener.name).toBe('virtualInbound');
    expect(listener.address?.socket_address?.port_value).toBe(15006);
    expect(listener.listener_filters.map((f) => f.name)).toEqual(['envoy.filters.listener.tls_inspector']);
    const [httpChain, tcpChain] = listener.filter_chains;
    expect(httpChain?.filter_chain_match?.destination_port?.value).toBe(8080);
    expect(tcpChain?.filters[0]?.name).toBe('envoy.filters.network.tcp_proxy');
    const filter = httpChain!.filters[0]!;
    expect(filter.typed_config?.type_url).toBe(HTTP_CONNECTION_MANGER_TYPE_URL);

    const hcm = decodeSingleResource(HTTP_CONNECTION_MANGER_TYPE_URL, filter.typed_config!.value);
    expect(hcm.route_specifier).toBe('rds');
    expect(hcm.rds?.route_config_name).toBe(SAMPLE_ROUTE_NAME);
    expect(hcm.rds?.config_source?.ads).toEqual({});
    expect(hcm.rds?.config_source?.resource_api_version).toBe('V3');
    expect(hcm.http_filters.map((f) => f.name)).toEqual(['envoy.filters.http.fault', 'envoy.filters.http.rbac', 'envoy.filters.http.router']);

    const rbacAny = hcm.http_filters[1]!.typed_config!;
    const rbac = pbjs('envoy.extensions.filters.http.rbac.v3.RBAC').decode(rbacAny.value).toJSON();
    expect(Object.values(rbac.rules.policies as Record<string, { principals: Array<{ authenticated: { principal_name: { exact: string } } }> }>)[0]!.principals[0]!.authenticated.principal_name.exact).toBe(SAMPLE_CLIENT_ID);
  });

  it('a Cluster with EDS, outlier detection and an UpstreamTlsContext naming SDS secrets', () => {
    const cluster = decodeSingleResource(CDS_TYPE_URL, asBuffer(toBinary(ClusterSchema, sampleOutboundCluster())));
    expect(cluster.name).toBe(SAMPLE_CLUSTER_NAME);
    expect(cluster.type).toBe('EDS');
    expect(cluster.lb_policy).toBe('LEAST_REQUEST');
    expect(cluster.eds_cluster_config?.service_name).toBe(SAMPLE_CLUSTER_NAME);
    expect(cluster.outlier_detection?.consecutive_5xx?.value).toBe(5);
    expect(cluster.connect_timeout?.seconds).toBe('10');
    expect(cluster.transport_socket?.typed_config?.type_url).toBe(UPSTREAM_TLS_CONTEXT_TYPE_URL);

    const tls = decodeSingleResource(UPSTREAM_TLS_CONTEXT_TYPE_URL, cluster.transport_socket!.typed_config!.value);
    const common = tls.common_tls_context!;
    expect(common.tls_certificate_sds_secret_configs.map((s) => s.name)).toEqual(['default']);
    expect(common.combined_validation_context?.validation_context_sds_secret_config?.name).toBe('ROOTCA');
    const san = common.combined_validation_context?.default_validation_context?.match_typed_subject_alt_names[0];
    expect([san?.san_type, san?.matcher?.exact]).toEqual(['URI', SAMPLE_SERVER_ID]);
  });

  it('a DownstreamTlsContext requiring client certificates', () => {
    const ours = create(DownstreamTlsContextSchema, {
      requireClientCertificate: true,
      commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'default' }], alpnProtocols: ['h2', 'http/1.1'] },
    });
    const theirs = decodeSingleResource(DOWNSTREAM_TLS_CONTEXT_TYPE_URL, asBuffer(toBinary(DownstreamTlsContextSchema, ours)));
    expect(theirs.require_client_certificate?.value).toBe(true);
    expect(theirs.common_tls_context?.alpn_protocols).toEqual(['h2', 'http/1.1']);
  });
});

describe('protobufjs encoding, decoded by our types', () => {
  it('a Listener with an HttpConnectionManager in Any', () => {
    const hcm = pbjs('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    const hcmBytes = hcm.encode(hcm.fromObject({
      stat_prefix: 'outbound_0.0.0.0_9080',
      rds: { route_config_name: '9080', config_source: { ads: {}, resource_api_version: 'V3' } },
      http_filters: [{ name: 'envoy.filters.http.router' }],
    })).finish();
    const lds = pbjs('envoy.config.listener.v3.Listener');
    const bytes = lds.encode(lds.fromObject({
      name: '0.0.0.0_9080',
      address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { type_url: HTTP_CONNECTION_MANGER_TYPE_URL, value: hcmBytes } }] }],
    })).finish();

    const listener = fromBinary(ListenerSchema, bytes);
    expect(listener.name).toBe('0.0.0.0_9080');
    const address = listener.address?.address;
    expect(address?.case === 'socketAddress' && address.value.portSpecifier).toEqual({ case: 'portValue', value: 9080 });
    const config = listener.filterChains[0]!.filters[0]!.configType;
    if (config.case !== 'typedConfig') throw new Error(`expected a typed_config, got ${config.case}`);
    const decoded = unpackAnyAs(config.value, HttpConnectionManagerSchema);
    expect(decoded.routeSpecifier.case === 'rds' && decoded.routeSpecifier.value.routeConfigName).toBe('9080');
    expect(decoded.httpFilters.map((f) => f.name)).toEqual(['envoy.filters.http.router']);
  });

  /** Ours → bytes → protobufjs decode → protobufjs encode → ours. */
  function viaProtobufjs<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): MessageShape<Desc> {
    const type = pbjs(schema.typeName);
    return fromBinary(schema, type.encode(type.decode(toBinary(schema, message))).finish());
  }
  const row = <Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>) =>
    [schema.typeName, () => equals(schema, viaProtobufjs(schema, message), message)] as const;

  it.each([
    row(ListenerSchema, sampleInboundListener()),
    row(ClusterSchema, sampleOutboundCluster()),
    row(HTTPFaultSchema, create(HTTPFaultSchema, { maxActiveFaults: 3, abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: { numerator: 10 } } })),
    row(HttpRbacSchema, create(HttpRbacSchema, {
      rules: {
        action: RBAC_Action.DENY,
        policies: { deny: { permissions: [{ rule: { case: 'urlPath', value: { rule: { case: 'path', value: { matchPattern: { case: 'prefix', value: '/admin' } } } } } }], principals: [{ identifier: { case: 'any', value: true } }] } },
      },
    })),
  ])('%s survives ours → protobufjs → ours unchanged', (_name, survives) => {
    expect(survives()).toBe(true);
  });
});
