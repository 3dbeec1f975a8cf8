import { create, isMessage, type DescMessage } from '@bufbuild/protobuf';
import { AnySchema, DurationSchema, anyPack } from '@bufbuild/protobuf/wkt';
import { ClusterSchema } from '../../gen/envoy/config/cluster/v3/cluster_pb';
import { ListenerSchema } from '../../gen/envoy/config/listener/v3/listener_pb';
import { FileAccessLogSchema } from '../../gen/envoy/extensions/access_loggers/file/v3/file_pb';
import { StdoutAccessLogSchema } from '../../gen/envoy/extensions/access_loggers/stream/v3/stream_pb';
import { HTTPFaultSchema } from '../../gen/envoy/extensions/filters/http/fault/v3/fault_pb';
import { LocalRateLimitSchema } from '../../gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb';
import { RBACSchema as HttpRbacSchema } from '../../gen/envoy/extensions/filters/http/rbac/v3/rbac_pb';
import { RouterSchema } from '../../gen/envoy/extensions/filters/http/router/v3/router_pb';
import { HttpInspectorSchema } from '../../gen/envoy/extensions/filters/listener/http_inspector/v3/http_inspector_pb';
import { OriginalDstSchema } from '../../gen/envoy/extensions/filters/listener/original_dst/v3/original_dst_pb';
import { TlsInspectorSchema } from '../../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb';
import { HttpConnectionManagerSchema } from '../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb';
import { RBACSchema as NetworkRbacSchema } from '../../gen/envoy/extensions/filters/network/rbac/v3/rbac_pb';
import { TcpProxySchema } from '../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb';
import { RawBufferSchema } from '../../gen/envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer_pb';
import { DownstreamTlsContextSchema, UpstreamTlsContextSchema } from '../../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb';
import { HttpProtocolOptionsSchema } from '../../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb';
import { AnyUnpackError, UnknownTypeUrlError, packAny, unpackAny, unpackAnyAs } from './any';
import { sampleInboundListener, sampleOutboundCluster } from './test-fixtures';
import { ResourceSchemas } from './type-urls';

/** Every type Skein puts in a typed_config (filters, listener filters, transport sockets, options, access logs). */
const typedConfigSchemas: DescMessage[] = [
  HttpConnectionManagerSchema, TcpProxySchema, NetworkRbacSchema, HttpRbacSchema, RouterSchema, HTTPFaultSchema,
  LocalRateLimitSchema, TlsInspectorSchema, HttpInspectorSchema, OriginalDstSchema, UpstreamTlsContextSchema,
  DownstreamTlsContextSchema, RawBufferSchema, HttpProtocolOptionsSchema, FileAccessLogSchema, StdoutAccessLogSchema,
  DurationSchema, ...Object.values(ResourceSchemas),
];

describe('packAny / unpackAny', () => {
  it.each(typedConfigSchemas.map((s) => [s.typeName, s] as const))('%s packs to type.googleapis.com/<name> and unpacks from the registry', (name, schema) => {
    const any = packAny(schema, create(schema));
    expect(any.typeUrl).toBe(`type.googleapis.com/${name}`);
    const message = unpackAny(any);
    expect(message.$typeName).toBe(name);
    expect(isMessage(message, schema)).toBe(true);
  });

  it('unpacks nested content intact', () => {
    const listener = sampleInboundListener();
    const back = unpackAny(packAny(ListenerSchema, listener));
    expect(back).toEqual(listener);
    expect(unpackAnyAs(packAny(ClusterSchema, sampleOutboundCluster()), ClusterSchema)).toEqual(sampleOutboundCluster());
  });

  it('accepts any host prefix in the type URL (only the name after the last / counts)', () => {
    const any = create(AnySchema, { typeUrl: 'example.com/types/envoy.config.cluster.v3.Cluster', value: packAny(ClusterSchema, sampleOutboundCluster()).value });
    expect(unpackAnyAs(any, ClusterSchema).name).toBe(sampleOutboundCluster().name);
  });

  const bad: Array<[string, ReturnType<typeof create<typeof AnySchema>>, typeof AnyUnpackError, RegExp]> = [
    ['an empty type URL', create(AnySchema, { typeUrl: '' }), AnyUnpackError, /cannot unpack Any: empty type URL/],
    ['a type URL without a name', create(AnySchema, { typeUrl: 'type.googleapis.com/' }), AnyUnpackError, /names no message/],
    ['a type Skein does not know', create(AnySchema, { typeUrl: 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua' }), UnknownTypeUrlError,
      /unknown type URL "type.googleapis.com\/envoy.extensions.filters.http.lua.v3.Lua"/],
    ['bytes that are not the named message', create(AnySchema, { typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', value: new Uint8Array([0x0a, 0xff, 0xff, 0x03]) }),
      AnyUnpackError, /cannot unpack Any of type "type.googleapis.com\/envoy.config.cluster.v3.Cluster": /],
  ];
  it.each(bad)('refuses %s with a clear error', (_what, any, errorClass, message) => {
    expect(() => unpackAny(any)).toThrow(errorClass);
    expect(() => unpackAny(any)).toThrow(message);
  });

  it('unpackAnyAs refuses an Any of another type, naming both', () => {
    const any = anyPack(RouterSchema, create(RouterSchema));
    expect(() => unpackAnyAs(any, HttpConnectionManagerSchema)).toThrow(
      'cannot unpack Any: expected type URL "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", got "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"',
    );
  });

  it('carries the offending type URL on the error', () => {
    const typeUrl = 'type.googleapis.com/skein.Nope';
    try {
      unpackAny(create(AnySchema, { typeUrl }));
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(UnknownTypeUrlError);
      expect((err as UnknownTypeUrlError).typeUrl).toBe(typeUrl);
    }
  });
});
