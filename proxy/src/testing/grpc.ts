/**
 * A gRPC echo service without .proto files (raw Buffer messages): unary `Echo`, server-streaming
 * `Repeat` (n copies), bidi `Chat`, and `Fail` that answers with a given status. The server reads
 * the caller identity the proxy passed (x-forwarded-client-cert) and echoes it in metadata.
 */
import * as grpc from '@grpc/grpc-js';

const id = (b: Buffer): Buffer => b;
function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return { path: `/skein.test.Echo/${name}`, requestStream, responseStream, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id };
}
export const echoService = {
  Echo: method('Echo', false, false),
  Repeat: method('Repeat', false, true),
  Chat: method('Chat', true, true),
  Fail: method('Fail', false, false),
};

export async function startGrpcEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(echoService, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const md = new grpc.Metadata();
      md.set('caller', String(call.metadata.get('x-forwarded-client-cert')[0] ?? ''));
      call.sendMetadata(md);
      cb(null, call.request);
    },
    Repeat: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const n = call.request.readUInt8(0);
      for (let i = 0; i < n; i++) call.write(Buffer.from([i]));
      call.end();
    },
    Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (b: Buffer) => call.write(b));
      call.on('end', () => call.end());
    },
    Fail: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb({ code: call.request.readUInt8(0), details: 'requested failure' }),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

export const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');
export interface EchoClientInstance extends grpc.Client {
  Echo(request: Buffer, callback: (err: grpc.ServiceError | null, reply: Buffer) => void): grpc.ClientUnaryCall;
  Repeat(request: Buffer): grpc.ClientReadableStream<Buffer>;
  Chat(): grpc.ClientDuplexStream<Buffer, Buffer>;
  Fail(request: Buffer, callback: (err: grpc.ServiceError | null, reply: Buffer) => void): grpc.ClientUnaryCall;
}

export function grpcClient(port: number): EchoClientInstance {
  return new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as EchoClientInstance;
}
