import { create, equals, type JsonObject } from '@bufbuild/protobuf';
import { anyPack, AnySchema } from '@bufbuild/protobuf/wkt';
import { ClusterSchema } from '../../gen/envoy/config/cluster/v3/cluster_pb';
import { ListenerSchema } from '../../gen/envoy/config/listener/v3/listener_pb';
import { UpstreamTlsContextSchema } from '../../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb';
import { fromConfigJson, toConfigJson, toConfigJsonString } from './json';
import { SAMPLE_ROUTE_NAME, sampleInboundListener, sampleOutboundCluster } from './test-fixtures';

describe('JSON view', () => {
  it('prints Anys readably, with @type and the packed fields', () => {
    const json = toConfigJson(ListenerSchema, sampleInboundListener()) as JsonObject;
    const chains = json.filterChains as JsonObject[];
    const filter = (chains[0]!.filters as JsonObject[])[0]!;
    expect(filter.typedConfig).toMatchObject({
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      rds: { routeConfigName: SAMPLE_ROUTE_NAME, configSource: { ads: {}, resourceApiVersion: 'V3' } },
    });
    expect(json.address).toEqual({ socketAddress: { address: '0.0.0.0', portValue: 15006 } });
  });

  it('prints durations and enums the way Envoy config dumps do', () => {
    const json = toConfigJson(ClusterSchema, sampleOutboundCluster()) as JsonObject;
    expect(json).toMatchObject({ type: 'EDS', lbPolicy: 'LEAST_REQUEST', connectTimeout: '10s' });
    expect(json).not.toHaveProperty('dnsLookupFamily'); // defaults are left out…
    expect(toConfigJson(ClusterSchema, sampleOutboundCluster(), { includeDefaults: true })).toHaveProperty('dnsLookupFamily', 'AUTO'); // …unless asked for
  });

  it.each([
    ['Listener', () => equals(ListenerSchema, fromConfigJson(ListenerSchema, toConfigJson(ListenerSchema, sampleInboundListener())), sampleInboundListener())],
    ['Cluster', () => equals(ClusterSchema, fromConfigJson(ClusterSchema, JSON.parse(toConfigJsonString(ClusterSchema, sampleOutboundCluster()))), sampleOutboundCluster())],
  ])('%s round-trips through JSON text', (_name, roundTrips) => {
    expect(roundTrips()).toBe(true);
  });

  it('names the message and the type URL when an Any holds an unknown type', () => {
    const any = create(AnySchema, { typeUrl: 'type.googleapis.com/skein.Unknown', value: new Uint8Array() });
    expect(() => toConfigJson(AnySchema, any)).toThrow(/cannot print google.protobuf.Any as JSON: .*type.googleapis.com\/skein.Unknown/);
  });

  it.each([
    ['an unknown field', { name: 'c', notAField: 1 }, /invalid envoy.config.cluster.v3.Cluster JSON: .*notAField/],
    ['a wrong value type', { name: 7 }, /invalid envoy.config.cluster.v3.Cluster JSON: .*name/],
    ['an unknown enum name', { lbPolicy: 'FASTEST' }, /invalid envoy.config.cluster.v3.Cluster JSON: .*FASTEST/],
    ['an Any of an unknown type', { transportSocket: { name: 't', typedConfig: { '@type': 'type.googleapis.com/skein.Nope' } } }, /invalid envoy.config.cluster.v3.Cluster JSON: .*skein.Nope/],
  ])('refuses %s with a clear error', (_what, json, message) => {
    expect(() => fromConfigJson(ClusterSchema, json)).toThrow(message);
  });

  it('reads Anys by @type', () => {
    const json = { transportSocket: { name: 'envoy.transport_sockets.tls', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', sni: 'reviews' } } };
    const cluster = fromConfigJson(ClusterSchema, json);
    const config = cluster.transportSocket?.configType;
    expect(config?.case === 'typedConfig' && equals(AnySchema, config.value, anyPack(UpstreamTlsContextSchema, create(UpstreamTlsContextSchema, { sni: 'reviews' })))).toBe(true);
  });
});
