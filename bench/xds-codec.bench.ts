/**
 * xDS codec cost on a CDS push of 500 clusters (each like Skein's outbound EDS cluster with mTLS):
 * protobuf-es (our generated code) for each step the control plane and proxy take, against
 * protobufjs as @grpc/grpc-js-xds decodes the same bytes. Each row runs for at most 1.5 s or
 * 2 000 iterations, whichever comes first.
 */
import { performance } from 'node:perf_hooks';
import { create, fromBinary, toBinary, type JsonValue } from '@bufbuild/protobuf';
import { CDS_TYPE_URL, decodeSingleResource } from '@grpc/grpc-js-xds/build/src/resources';
import { ClusterSchema } from '../api/gen/envoy/config/cluster/v3/cluster_pb';
import { DiscoveryResponseSchema } from '../api/gen/envoy/service/discovery/v3/discovery_pb';
import { packAny, unpackAnyAs } from '../api/src/xds/any';
import { fromConfigJson, toConfigJson } from '../api/src/xds/json';
import { sampleOutboundCluster } from '../api/src/xds/test-fixtures';
import { TypeUrls } from '../api/src/xds/type-urls';

const CLUSTERS = 500;
const MAX_MS = 1500;
const MAX_ITERATIONS = 2000;

interface Row {
  step: string;
  iterations: number;
  msPerPush: number;
}

function measure(step: string, body: () => void): Row {
  body(); // warm-up
  const start = performance.now();
  let iterations = 0;
  while (iterations < MAX_ITERATIONS && performance.now() - start < MAX_MS) {
    body();
    iterations += 1;
  }
  return { step, iterations, msPerPush: (performance.now() - start) / iterations };
}

export async function run(): Promise<void> {
  const clusters = Array.from({ length: CLUSTERS }, (_, i) => {
    const cluster = sampleOutboundCluster();
    cluster.name = `outbound|9080||svc-${i}.default.svc.cluster.local`;
    return cluster;
  });
  const clusterJson: JsonValue[] = clusters.map((c) => toConfigJson(ClusterSchema, c));
  const response = create(DiscoveryResponseSchema, { versionInfo: '1', typeUrl: TypeUrls.cluster, nonce: 'n', resources: clusters.map((c) => packAny(ClusterSchema, c)) });
  const bytes = toBinary(DiscoveryResponseSchema, response);
  const buffers = response.resources.map((r) => Buffer.from(r.value));

  const rows = [
    measure('protobuf-es: proto3 JSON → messages (operator)', () => clusterJson.forEach((j) => fromConfigJson(ClusterSchema, j))),
    measure('protobuf-es: messages → Any → response bytes', () => toBinary(DiscoveryResponseSchema, create(DiscoveryResponseSchema, { typeUrl: TypeUrls.cluster, resources: clusters.map((c) => packAny(ClusterSchema, c)) }))),
    measure('protobuf-es: response bytes → Clusters (proxy)', () => fromBinary(DiscoveryResponseSchema, bytes).resources.forEach((r) => unpackAnyAs(r, ClusterSchema))),
    measure('protobufjs (grpc-js-xds decodeSingleResource)', () => buffers.forEach((b) => decodeSingleResource(CDS_TYPE_URL, b))),
    measure('protobuf-es: Clusters → JSON (config dump)', () => clusters.forEach((c) => toConfigJson(ClusterSchema, c))),
  ];
  console.log(`CDS push: ${CLUSTERS} clusters, ${(bytes.byteLength / 1024).toFixed(0)} KiB on the wire`);
  console.log('step'.padEnd(52), 'ms/push'.padStart(9), 'clusters/s'.padStart(12), 'iterations'.padStart(11));
  for (const row of rows) {
    console.log(row.step.padEnd(52), row.msPerPush.toFixed(2).padStart(9), Math.round((CLUSTERS * 1000) / row.msPerPush).toString().padStart(12), String(row.iterations).padStart(11));
  }
}
