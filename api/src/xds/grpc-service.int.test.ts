// The generic service helpers on a unary RPC over real grpc-js on loopback: CSDS FetchClientStatus
// (what `istioctl proxy-status`-style tools call), with a typed client from grpcClientConstructor.
import * as grpc from '@grpc/grpc-js';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ClientStatusDiscoveryService, ClientStatusRequestSchema, ClientStatusResponseSchema, type ClientStatusResponse } from '../../gen/envoy/service/status/v3/csds_pb';
import { grpcClientConstructor, grpcServiceDefinition, type GrpcClient, type GrpcServiceImplementation, type ServiceMethods } from './grpc-service';

type CsdsMethods = ServiceMethods<typeof ClientStatusDiscoveryService>;

describe('grpcServiceDefinition + grpcClientConstructor, unary', () => {
  let server: grpc.Server;
  let client: GrpcClient<CsdsMethods>;

  beforeAll(async () => {
    const impl: GrpcServiceImplementation<CsdsMethods> = {
      fetchClientStatus(call, callback) {
        const ids = call.request.nodeMatchers.flatMap((m) => (m.nodeId?.matchPattern.case === 'exact' ? [m.nodeId.matchPattern.value] : []));
        if (ids.length === 0) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'node_matchers: one exact node id is required' });
          return;
        }
        callback(null, create(ClientStatusResponseSchema, { config: ids.map((id) => ({ node: { id } })) }));
      },
      streamClientStatus(call) {
        call.end();
      },
    };
    server = new grpc.Server();
    server.addService(grpcServiceDefinition(ClientStatusDiscoveryService), impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    const Client = grpcClientConstructor(ClientStatusDiscoveryService);
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  function fetch(request: MessageInitShape<typeof ClientStatusRequestSchema>): Promise<ClientStatusResponse> {
    return new Promise((resolve, reject) => {
      client.fetchClientStatus(create(ClientStatusRequestSchema, request), new grpc.Metadata(), { deadline: Date.now() + 5000 },
        (err, response) => (err ? reject(err) : resolve(response!)));
    });
  }

  it('returns the typed response', async () => {
    const response = await fetch({ nodeMatchers: [{ nodeId: { matchPattern: { case: 'exact', value: 'sidecar~10.0.0.7~a.default~default.svc.cluster.local' } } }] });
    expect(response.$typeName).toBe('envoy.service.status.v3.ClientStatusResponse');
    expect(response.config.map((c) => c.node?.id)).toEqual(['sidecar~10.0.0.7~a.default~default.svc.cluster.local']);
  });

  it('passes the server\'s status to the caller', async () => {
    await expect(fetch({})).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'node_matchers: one exact node id is required' });
  });
});
