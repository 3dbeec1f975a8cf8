/**
 * Control plane: translation and push time for a mesh of 1000 services and 1000 proxies.
 *
 *   npm run bench controlplane
 *
 * Measures (wall clock, one process): building the model; translating + snapshotting for every
 * proxy (cold and after a one-route change); encoding the snapshots to protobuf; and an end-to-end
 * push over real ADS streams (plaintext loopback gRPC) to a sample of connected proxies after a
 * config change.
 */
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { DiscoveryRequestSchema, type DiscoveryResponse } from '../api/gen/envoy/service/discovery/v3/discovery_pb';
import { AdsClient } from '../api/src/xds';
import { ControlPlane } from '../operator/src/controlplane';
import { type KubeObject } from '../operator/src/core/kube';
import { parseNodeId } from '../operator/src/core/node-id';
import { makeSnapshot } from '../operator/src/core/snapshot';
import { TypeUrls, XdsTypeOrder } from '../operator/src/core/translate/envoy';
import { Translator } from '../operator/src/core/translate/translate';
import { ControlPlaneMetrics } from '../operator/src/monitoring/metrics';
import { encodeResource } from '../operator/src/xds/encode';
import { startXdsServer } from '../operator/src/xds/grpc-server';

const SERVICES = 1000;
const PROXIES = 1000;
const NAMESPACES = 10;
const STREAMS = 100;


/** The bench mesh (also bench/xds-scale): SERVICES services, svc0's VirtualService with `routeTimeout`. */
export function mesh(routeTimeout: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (let n = 0; n < NAMESPACES; n++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns${n}`, labels: { 'skein.dev/inject': 'enabled' } } });
  for (let i = 0; i < SERVICES; i++) {
    const ns = `ns${i % NAMESPACES}`;
    const name = `svc${i}`;
    const vip = `10.96.${Math.floor(i / 250)}.${i % 250 + 1}`;
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { clusterIP: vip, ports: [{ name: 'http', port: 8000 + (i % 20) }] } });
    const endpoints = [0, 1].map((k) => ({ addresses: [`10.${k + 1}.${Math.floor(i / 250)}.${i % 250 + 1}`], targetRef: { kind: 'Pod', name: `${name}-${k}` } }));
    for (let k = 0; k < 2; k++) {
      out.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-${k}`, namespace: ns, labels: { app: name, version: `v${k + 1}` } }, spec: { serviceAccountName: name }, status: { podIP: endpoints[k]!.addresses[0] } });
    }
    out.push({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } }, ports: [{ name: 'http', port: 8080 }], endpoints });
    if (i % 10 === 0) {
      out.push({ apiVersion: 'networking.skein.dev/v1alpha1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec: { host: name, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } });
      out.push({
        apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name, namespace: ns },
        spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset: 'v1' }, weight: 90 }, { destination: { host: name, subset: 'v2' }, weight: 10 }], timeout: i === 0 ? routeTimeout : '5s' }] },
      });
    }
  }
  return out;
}

/** The node id of proxy `p` (the sidecar of pod svc<p>-0). */
export function nodeId(p: number): string {
  const ns = `ns${p % NAMESPACES}`;
  return `sidecar~10.1.${Math.floor(p / 250)}.${p % 250 + 1}~svc${p}-0.${ns}~${ns}.svc.cluster.local`;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function row(what: string, value: string): void {
  console.log(`${what.padEnd(62)} ${value}`);
}

export async function run(): Promise<void> {
  console.log(`mesh: ${SERVICES} services (1 HTTP port, 2 endpoints each; 10% with DR subsets + 90/10 VS), ${NAMESPACES} namespaces, ${PROXIES} proxies\n`);
  const cp = new ControlPlane({ metrics: new ControlPlaneMetrics(false), debounce: { quietMs: 1, maxMs: 1 } });
  let t = process.hrtime.bigint();
  cp.onEvents(mesh('1s').map((object) => ({ type: 'apply' as const, key: `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`, object })));
  const model = cp.index.model();
  row('index: apply objects + build model', `${ms(t).toFixed(1)} ms (${cp.index.size} objects)`);

  const proxies = Array.from({ length: PROXIES }, (_, p) => ({ node: parseNodeId(nodeId(p)), metadata: {} }));
  t = process.hrtime.bigint();
  const translator = new Translator(model);
  let resources = 0;
  const snapshots = proxies.map((p) => {
    const s = makeSnapshot(1, translator.translate(p).parts);
    for (const type of XdsTypeOrder) resources += s.types[type].resources.size;
    return s;
  });
  const translateMs = ms(t);
  row(`translate + snapshot, ${PROXIES} proxies (cold)`, `${translateMs.toFixed(0)} ms (${(translateMs / PROXIES).toFixed(2)} ms/proxy, ${(resources / PROXIES).toFixed(0)} resources/proxy)`);

  t = process.hrtime.bigint();
  let bytes = 0;
  for (const s of snapshots) for (const type of XdsTypeOrder) for (const r of s.types[type].resources.values()) bytes += encodeResource(r.resource, r.version).value.length;
  row(`encode to protobuf, ${PROXIES} proxies (shared resources encoded once)`, `${ms(t).toFixed(0)} ms (${(bytes / PROXIES / 1024).toFixed(0)} KiB/proxy)`);

  // End to end: STREAMS proxies connected over ADS, one VirtualService timeout changes, time until all have the new RDS.
  const server = await startXdsServer({ ads: cp.ads, host: '127.0.0.1', port: 0, plaintextPort: 0, shutdownGraceMs: 100 });
  cp.onSynced();
  const client = new AdsClient(`127.0.0.1:${server.plaintextPort}`, grpc.credentials.createInsecure());
  const streams: grpc.ClientDuplexStream<unknown, DiscoveryResponse>[] = [];
  const waiting = new Map<number, (r: DiscoveryResponse) => void>();
  let connectMs = 0;
  try {
    t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: STREAMS }, (_, p) => new Promise<void>((resolve, reject) => {
      const stream = client.streamAggregatedResources() as unknown as grpc.ClientDuplexStream<unknown, DiscoveryResponse>;
      streams.push(stream);
      const id = nodeId(p);
      const timer = setTimeout(() => reject(new Error(`proxy ${p}: no RDS within 60 s`)), 60_000);
      stream.on('error', () => undefined);
      stream.on('data', (r: DiscoveryResponse) => {
        stream.write(create(DiscoveryRequestSchema, { node: { id }, typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: r.typeUrl === TypeUrls.route ? ['8000'] : [] }));
        if (r.typeUrl === TypeUrls.route) {
          const w = waiting.get(p);
          if (w) w(r);
          else {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      stream.write(create(DiscoveryRequestSchema, { node: { id }, typeUrl: TypeUrls.cluster }));
      stream.write(create(DiscoveryRequestSchema, { node: { id }, typeUrl: TypeUrls.listener }));
      stream.write(create(DiscoveryRequestSchema, { node: { id }, typeUrl: TypeUrls.route, resourceNames: ['8000'] }));
    })));
    connectMs = ms(t);
    row(`${STREAMS} ADS streams: connect and receive CDS+LDS+RDS`, `${connectMs.toFixed(0)} ms`);

    // svc0 (ns0, port 8000) changes its route timeout: every connected ns0..ns9 proxy's RDS "8000" changes.
    const received = Array.from({ length: STREAMS }, (_, p) => new Promise<void>((resolve) => waiting.set(p, () => resolve())));
    const changed = mesh('2s').find((o) => o.kind === 'VirtualService' && o.metadata.name === 'svc0')!;
    t = process.hrtime.bigint();
    cp.onEvents([{ type: 'apply', key: 'VirtualService/ns0/svc0', object: changed }]); // the debouncer (1 ms here) recomputes
    await Promise.all(received);
    const pushMs = ms(t);
    const recompute = (await cp.metrics.recomputeSeconds.get()).values.find((v) => v.metricName === 'skein_controlplane_recompute_seconds_sum')!.value * 1000;
    const pushes = (await cp.metrics.pushes.get()).values.map((v) => `${v.labels.type}=${v.value}`).join(' ');
    row(`config change → recompute (translate + snapshot, ${STREAMS} connected)`, `${recompute.toFixed(0)} ms`);
    row(`config change → all ${STREAMS} proxies received the new RDS`, `${pushMs.toFixed(0)} ms (debounce set to 1 ms; default 100 ms)`);
    row('responses sent in total (only RDS is re-sent after the change)', pushes);
  } finally {
    for (const s of streams) s.cancel();
    client.close();
    await server.close();
    cp.stop();
  }
}
