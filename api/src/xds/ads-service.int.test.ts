// ADS over a real @grpc/grpc-js server on loopback: our typed client, a proto-loader client (the
// way grpc-js-xds builds its stubs) and a raw client sending bytes that are not a DiscoveryRequest.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { create, toBinary } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../gen/envoy/config/cluster/v3/cluster_pb';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../gen/envoy/service/discovery/v3/discovery_pb';
import { ADS_DELTA_PATH, ADS_STREAM_PATH, AdsClient, adsServiceDefinition, type AdsServiceImplementation } from './ads-service';
import { packAny, unpackAnyAs } from './any';
import { SAMPLE_CLUSTER_NAME, sampleOutboundCluster } from './test-fixtures';
import { TypeUrls } from './type-urls';

const DEPS = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')) + '/deps';
const STEP_MS = 5000;

/** Resolves with the first event of a stream, rejects on error/end or after STEP_MS. */
function next<T>(stream: NodeJS.EventEmitter, event = 'data'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(() => reject(new Error(`no ${event} within ${STEP_MS} ms`))), STEP_MS);
    const onValue = (value: T) => done(() => resolve(value));
    const onError = (err: Error) => done(() => reject(err));
    const onEnd = () => done(() => reject(new Error('stream ended')));
    function done(settle: () => void) {
      clearTimeout(timer);
      stream.off(event, onValue);
      stream.off('error', onError);
      stream.off('end', onEnd);
      settle();
    }
    stream.once(event, onValue);
    if (event !== 'error') stream.once('error', onError);
    if (event !== 'end') stream.once('end', onEnd);
  });
}

/** A tiny state-of-the-world ADS server: answers each CDS request with one packed Cluster. */
function clusterServer(received: DiscoveryRequest[]): AdsServiceImplementation {
  let version = 0;
  return {
    streamAggregatedResources(call) {
      call.on('data', (request: DiscoveryRequest) => {
        received.push(request);
        if (request.responseNonce !== '') return; // an ACK/NACK: nothing new to send
        version += 1;
        call.write(create(DiscoveryResponseSchema, {
          versionInfo: String(version),
          typeUrl: request.typeUrl,
          nonce: `nonce-${version}`,
          resources: [packAny(ClusterSchema, sampleOutboundCluster())],
        }));
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
    deltaAggregatedResources(call) {
      call.on('data', (request: DeltaDiscoveryRequest) => {
        call.write(create(DeltaDiscoveryResponseSchema, {
          systemVersionInfo: '1',
          typeUrl: request.typeUrl,
          nonce: 'delta-1',
          resources: request.resourceNamesSubscribe.map((name) => ({ name, version: '1', resource: packAny(ClusterSchema, sampleOutboundCluster()) })),
        }));
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  };
}

describe('AggregatedDiscoveryService over grpc-js on loopback', () => {
  let server: grpc.Server;
  let address: string;
  const received: DiscoveryRequest[] = [];
  const clients: grpc.Client[] = [];

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(adsServiceDefinition, clusterServer(received));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    address = `127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
  });

  it('uses the Envoy method paths', () => {
    expect(ADS_STREAM_PATH).toBe('/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources');
    expect(ADS_DELTA_PATH).toBe('/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources');
  });

  it('answers a CDS DiscoveryRequest with a packed Cluster and sees the ACK', async () => {
    const client = new AdsClient(address, grpc.credentials.createInsecure());
    clients.push(client);
    const stream = client.streamAggregatedResources();
    const node = { id: 'sidecar~10.0.0.7~productpage-1.default~default.svc.cluster.local', cluster: 'productpage' };
    stream.write(create(DiscoveryRequestSchema, { node, typeUrl: TypeUrls.cluster }));
    const response = await next<DiscoveryResponse>(stream);

    expect(response.typeUrl).toBe(TypeUrls.cluster);
    expect(response.resources).toHaveLength(1);
    const cluster = unpackAnyAs(response.resources[0]!, ClusterSchema);
    expect(cluster.name).toBe(SAMPLE_CLUSTER_NAME);
    expect(cluster).toEqual(sampleOutboundCluster());

    stream.write(create(DiscoveryRequestSchema, { typeUrl: TypeUrls.cluster, versionInfo: response.versionInfo, responseNonce: response.nonce }));
    stream.end();
    await next(stream, 'end').catch(() => undefined);
    expect(received.map((r) => [r.typeUrl, r.responseNonce])).toEqual([[TypeUrls.cluster, ''], [TypeUrls.cluster, response.nonce]]);
    expect(received[0]!.node?.id).toBe(node.id);
  });

  it('serves the delta stream', async () => {
    const client = new AdsClient(address, grpc.credentials.createInsecure());
    clients.push(client);
    const stream = client.deltaAggregatedResources();
    stream.write(create(DeltaDiscoveryRequestSchema, { typeUrl: TypeUrls.cluster, resourceNamesSubscribe: [SAMPLE_CLUSTER_NAME] }));
    const response = await next<DeltaDiscoveryResponse>(stream);
    stream.end();
    expect(response.resources.map((r) => r.name)).toEqual([SAMPLE_CLUSTER_NAME]);
    expect(unpackAnyAs(response.resources[0]!.resource!, ClusterSchema).name).toBe(SAMPLE_CLUSTER_NAME);
  });

  it('talks to a client built by @grpc/proto-loader from the Envoy protos (as grpc-js-xds builds its stubs)', async () => {
    const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
      keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
      includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(DEPS, d)),
    });
    type Loaded = { envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: grpc.ServiceClientConstructor } } } } };
    const Ctor = (grpc.loadPackageDefinition(definition) as unknown as Loaded).envoy.service.discovery.v3.AggregatedDiscoveryService;
    const client = new Ctor(address, grpc.credentials.createInsecure());
    clients.push(client);
    const stream = (client as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<object, { type_url: string; resources: Array<{ type_url: string; value: Buffer }> }> }).StreamAggregatedResources();
    stream.write({ node: { id: 'proxyless~1' }, type_url: TypeUrls.cluster });
    const response = await next<{ type_url: string; resources: Array<{ type_url: string; value: Buffer }> }>(stream);
    stream.end();
    expect(response.type_url).toBe(TypeUrls.cluster);
    expect(response.resources[0]!.type_url).toBe(TypeUrls.cluster);
    expect(Buffer.from(response.resources[0]!.value)).toEqual(Buffer.from(toBinary(ClusterSchema, sampleOutboundCluster())));
    expect(received[0]!.node?.id).toBe('proxyless~1');
  });

  it('fails a stream that sends bytes which are not a DiscoveryRequest, and keeps serving others', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    clients.push(raw);
    const garbage = raw.makeBidiStreamRequest<Buffer, Buffer>(ADS_STREAM_PATH, (b) => b, (b) => b);
    garbage.on('data', () => undefined);
    garbage.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])); // field 1, length far beyond the message
    const err = await next<grpc.ServiceError>(garbage, 'error');
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(received).toEqual([]);

    const client = new AdsClient(address, grpc.credentials.createInsecure());
    clients.push(client);
    const stream = client.streamAggregatedResources();
    stream.write(create(DiscoveryRequestSchema, { typeUrl: TypeUrls.cluster }));
    const response = await next<DiscoveryResponse>(stream);
    stream.end();
    expect(response.resources).toHaveLength(1);
  });
});
