import { create, fromBinary, toBinary, type DescMethod } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from '../../gen/envoy/service/discovery/v3/discovery_pb';
import { ClientStatusDiscoveryService } from '../../gen/envoy/service/status/v3/csds_pb';
import { grpcMethodPath, grpcServiceDefinition } from './grpc-service';

/** A service whose one method has the given kind (grpc-js needs only the descriptor fields read here). */
function serviceWith(methodKind: DescMethod['methodKind']): GenService<GenServiceMethods> {
  const base = ClientStatusDiscoveryService.method.fetchClientStatus;
  const method = { ...base, name: 'Watch', localName: 'watch', methodKind, input: DiscoveryRequestSchema, output: DiscoveryResponseSchema };
  return { ...ClientStatusDiscoveryService, methods: [method], method: { watch: method } } as unknown as GenService<GenServiceMethods>;
}

describe('grpcServiceDefinition', () => {
  it.each([
    ['unary', false, false],
    ['server_streaming', false, true],
    ['client_streaming', true, false],
    ['bidi_streaming', true, true],
  ] as const)('%s → requestStream %s, responseStream %s', (kind, requestStream, responseStream) => {
    const definition = grpcServiceDefinition(serviceWith(kind));
    expect(definition.watch).toMatchObject({ path: '/envoy.service.status.v3.ClientStatusDiscoveryService/Watch', requestStream, responseStream, originalName: 'Watch' });
  });

  it('has one entry per method, keyed by lowerCamelCase name, with the proto path', () => {
    const definition = grpcServiceDefinition(ClientStatusDiscoveryService);
    expect(Object.keys(definition).sort()).toEqual(['fetchClientStatus', 'streamClientStatus']);
    expect(definition.fetchClientStatus.path).toBe('/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus');
    expect(grpcMethodPath(ClientStatusDiscoveryService.method.streamClientStatus)).toBe('/envoy.service.status.v3.ClientStatusDiscoveryService/StreamClientStatus');
  });

  it('serialises with protobuf-es, byte for byte, and deserialises back', () => {
    const { watch } = grpcServiceDefinition(serviceWith('unary'));
    const request = create(DiscoveryRequestSchema, { typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', resourceNames: ['a', 'b'] });
    const bytes = watch!.requestSerialize(request);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(new Uint8Array(bytes)).toEqual(toBinary(DiscoveryRequestSchema, request));
    expect(watch!.requestDeserialize(bytes)).toEqual(request);
    const response = create(DiscoveryResponseSchema, { versionInfo: '7' });
    expect(fromBinary(DiscoveryResponseSchema, watch!.responseSerialize(response))).toEqual(response);
  });

  it('throws on bytes that are not the request message (grpc-js turns this into INTERNAL)', () => {
    const { watch } = grpcServiceDefinition(serviceWith('unary'));
    expect(() => watch!.requestDeserialize(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow();
  });
});
