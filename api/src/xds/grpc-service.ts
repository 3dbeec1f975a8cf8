/**
 * protobuf-es service descriptors → @grpc/grpc-js service definitions, server implementation types
 * and typed client constructors. Messages go over the wire with protobuf-es `toBinary`/`fromBinary`,
 * so no .proto files are loaded at run time.
 */
import * as grpc from '@grpc/grpc-js';
import { fromBinary, toBinary, type DescMessage, type DescMethod, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';

type MethodInfo = GenServiceMethods[string];
type In<M extends MethodInfo> = MessageShape<M['input']>;
type Out<M extends MethodInfo> = MessageShape<M['output']>;

/** The method table of a generated service (`ServiceMethods<typeof AggregatedDiscoveryService>`). */
export type ServiceMethods<Service> = Service extends GenService<infer Methods> ? Methods : never;

/** The grpc-js definition of a service: one entry per method, keyed by its lowerCamelCase name. */
export type GrpcServiceDefinition<Methods extends GenServiceMethods> = {
  [K in keyof Methods]: grpc.MethodDefinition<In<Methods[K]>, Out<Methods[K]>>;
};

type Handler<M extends MethodInfo> = M['methodKind'] extends 'bidi_streaming'
  ? grpc.handleBidiStreamingCall<In<M>, Out<M>>
  : M['methodKind'] extends 'server_streaming'
    ? grpc.handleServerStreamingCall<In<M>, Out<M>>
    : M['methodKind'] extends 'client_streaming'
      ? grpc.handleClientStreamingCall<In<M>, Out<M>>
      : grpc.handleUnaryCall<In<M>, Out<M>>;

/** What `server.addService(definition, implementation)` wants: one handler per method. */
export type GrpcServiceImplementation<Methods extends GenServiceMethods> = {
  [K in keyof Methods]: Handler<Methods[K]>;
};

interface UnaryClientMethod<I, O> {
  (request: I, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall;
  (request: I, metadata: grpc.Metadata, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall;
  (request: I, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<O>): grpc.ClientUnaryCall;
}
interface ClientStreamingClientMethod<I, O> {
  (callback: grpc.requestCallback<O>): grpc.ClientWritableStream<I>;
  (metadata: grpc.Metadata, callback: grpc.requestCallback<O>): grpc.ClientWritableStream<I>;
  (metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<O>): grpc.ClientWritableStream<I>;
}
type ServerStreamingClientMethod<I, O> = (request: I, metadata?: grpc.Metadata, options?: Partial<grpc.CallOptions>) => grpc.ClientReadableStream<O>;
type BidiStreamingClientMethod<I, O> = (metadata?: grpc.Metadata, options?: Partial<grpc.CallOptions>) => grpc.ClientDuplexStream<I, O>;

type ClientMethod<M extends MethodInfo> = M['methodKind'] extends 'bidi_streaming'
  ? BidiStreamingClientMethod<In<M>, Out<M>>
  : M['methodKind'] extends 'server_streaming'
    ? ServerStreamingClientMethod<In<M>, Out<M>>
    : M['methodKind'] extends 'client_streaming'
      ? ClientStreamingClientMethod<In<M>, Out<M>>
      : UnaryClientMethod<In<M>, Out<M>>;

/** A grpc-js client with one typed method per RPC (lowerCamelCase names). */
export type GrpcClient<Methods extends GenServiceMethods> = grpc.Client & { [K in keyof Methods]: ClientMethod<Methods[K]> };

export type GrpcClientConstructor<Methods extends GenServiceMethods> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => GrpcClient<Methods>;

/** The HTTP/2 path of a method: `/<package>.<Service>/<Method>`. */
export function grpcMethodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer(schema: DescMessage) {
  return (message: MessageShape<DescMessage>): Buffer => {
    const bytes = toBinary(schema, message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage) {
  return (bytes: Buffer): MessageShape<DescMessage> => fromBinary(schema, bytes);
}

function methodDefinition(method: DescMethod): grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>> {
  return {
    path: grpcMethodPath(method),
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: serializer(method.input),
    requestDeserialize: deserializer(method.input),
    responseSerialize: serializer(method.output),
    responseDeserialize: deserializer(method.output),
    // The proto name (e.g. StreamAggregatedResources) also works as an implementation/client key.
    originalName: method.name,
  };
}

/**
 * The grpc-js service definition of a generated service, for `server.addService(def, impl)` and
 * `grpc.makeGenericClientConstructor(def, name)`.
 */
export function grpcServiceDefinition<Methods extends GenServiceMethods>(service: GenService<Methods>): GrpcServiceDefinition<Methods> {
  const definition: Record<string, grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>> = {};
  for (const method of service.methods) definition[method.localName] = methodDefinition(method);
  return definition as unknown as GrpcServiceDefinition<Methods>;
}

/** A typed client class for a generated service (`new Client(address, credentials, options)`). */
export function grpcClientConstructor<Methods extends GenServiceMethods>(service: GenService<Methods>): GrpcClientConstructor<Methods> {
  const definition = grpcServiceDefinition(service) as grpc.ServiceDefinition;
  return grpc.makeGenericClientConstructor(definition, service.typeName) as unknown as GrpcClientConstructor<Methods>;
}
