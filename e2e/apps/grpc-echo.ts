/**
 * gRPC echo without .proto files: a generic service whose messages are JSON. Unary `Echo` returns an
 * EchoReply with the caller's metadata; server-streaming `Stream` sends `count` replies.
 */
import * as grpc from '@grpc/grpc-js';
import { FlakyCounter, type FlakyPolicy } from './flaky';
import { type EchoListener } from './http-echo';
import { callerSpiffeId, plainAddress, type EchoReply, type ServerIdentity } from './identity';

export interface EchoRequest {
  message?: string;
  /** Stream: how many replies (default 3, at most 1000). */
  count?: number;
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
};

function method(path: string, responseStream: boolean) {
  return {
    path,
    requestStream: false,
    responseStream,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize as (b: Buffer) => EchoRequest,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize as (b: Buffer) => EchoReply,
  };
}

/** The service definition, shared by server and client (`grpc.makeGenericClientConstructor`). */
export const EchoService = {
  echo: method('/skein.test.Echo/Echo', false),
  stream: method('/skein.test.Echo/Stream', true),
} satisfies grpc.ServiceDefinition;

export interface GrpcEchoOptions {
  port: number;
  host: string;
  identity: ServerIdentity;
  policy: FlakyPolicy;
}

function metadataObject(md: grpc.Metadata): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(md.getMap()).map(([k, v]) => [k, typeof v === 'string' ? v : v.toString('base64')]));
}

export async function startGrpcEcho(options: GrpcEchoOptions): Promise<EchoListener> {
  const flaky = new FlakyCounter(options.policy);
  const replyFor = (call: grpc.ServerUnaryCall<EchoRequest, EchoReply> | grpc.ServerWritableStream<EchoRequest, EchoReply>): EchoReply => {
    const headers = metadataObject(call.metadata);
    const peer = call.getPeer();
    return {
      ...options.identity,
      protocol: 'grpc',
      path: call.getPath(),
      headers,
      callerSpiffeId: callerSpiffeId(headers['x-forwarded-client-cert']),
      remoteAddress: plainAddress(peer.slice(0, peer.lastIndexOf(':')).replace(/^\[|\]$/g, '')),
      echo: call.request.message ?? '',
    };
  };
  const unavailable = { code: grpc.status.UNAVAILABLE, details: 'flaky: failing on purpose' };
  const server = new grpc.Server();
  server.addService(EchoService, {
    echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) => {
      const v = flaky.next();
      if (v === 'fail') callback(unavailable);
      else if (v === 'answer') callback(null, replyFor(call));
    },
    stream: (call: grpc.ServerWritableStream<EchoRequest, EchoReply>) => {
      const v = flaky.next();
      if (v === 'fail') {
        call.emit('error', unavailable);
        return;
      }
      if (v === 'hang') return;
      const count = Math.min(1000, Math.max(1, Math.floor(call.request.count ?? 3)));
      for (let i = 0; i < count; i++) call.write({ ...replyFor(call), echo: `${call.request.message ?? ''}#${i}` });
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    close: async () => server.forceShutdown(),
  };
}
