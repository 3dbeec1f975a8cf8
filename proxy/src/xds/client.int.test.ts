/**
 * XdsClient against a scripted state-of-the-world ADS server on loopback, over mTLS with test
 * certificates: the fallback from delta (the server answers UNIMPLEMENTED), subscriptions and
 * ordering, ACKs, a NACK that keeps the last good config, reconnect with resubscription at the
 * accepted versions, and a refused server identity. Delta against the real control plane:
 * e2e/xds/delta-proxy.int.test.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { ClusterLoadAssignmentSchema } from '../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema } from '../../../api/gen/envoy/config/listener/v3/listener_pb';
import { RouteConfigurationSchema } from '../../../api/gen/envoy/config/route/v3/route_pb';
import { DiscoveryResponseSchema, type DiscoveryRequest, type DiscoveryResponse } from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import type { IdentityProvider, WorkloadCertificate } from '../../../api/src/identity';
import { adsServiceDefinition } from '../../../api/src/xds/ads-service';
import { packAny } from '../../../api/src/xds/any';
import { TypeUrls } from '../../../api/src/xds/type-urls';
import type { ProxyConfig } from '../config/model';
import { createTestCa, type TestCa } from '../testing/certs';
import { XdsClient } from './client';
import { REVIEWS, ROUTE_9080, edsCluster, loadAssignment, outboundListener, passthroughCluster, routeConfig, tcpFilter } from './testing/resources';

const STEP_MS = 5000;
const SERVER_ID = 'spiffe://cluster.local/ns/skein-system/sa/skein-controlplane';
const NODE = { podName: 'productpage-1', namespace: 'default', podIp: '10.0.0.7', serviceAccount: 'productpage', labels: { app: 'productpage', version: 'v1' } };

/** One scripted ADS server: records requests per stream, lets the test push responses. */
class ScriptedAds {
  readonly server = new grpc.Server();
  readonly streams: Array<grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>> = [];
  readonly requests: DiscoveryRequest[][] = [];
  readonly peerCerts: boolean[] = [];
  private waiters: Array<() => void> = [];
  private nonce = 0;
  deltaAttempts = 0;
  port = 0;

  constructor(private readonly ca: TestCa, private readonly serverCert: WorkloadCertificate) {
    this.server.addService(adsServiceDefinition, {
      streamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
        const index = this.streams.push(call) - 1;
        this.requests.push([]);
        this.peerCerts.push(call.getAuthContext()?.sslPeerCertificate !== undefined);
        call.on('data', (r: DiscoveryRequest) => {
          this.requests[index]!.push(r);
          this.wake();
        });
        call.on('error', () => undefined);
        call.on('end', () => call.end());
        this.wake();
      },
      // A control plane that serves state of the world only (as Skein's did before delta).
      deltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        this.deltaAttempts += 1;
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'delta xDS is not implemented' });
      },
    });
  }

  async listen(): Promise<void> {
    const creds = grpc.ServerCredentials.createSsl(Buffer.from(this.ca.certPem), [{ private_key: Buffer.from(this.serverCert.privateKeyPem), cert_chain: Buffer.from(this.serverCert.certChainPem) }], true);
    this.port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits (bounded) until `ready()` holds. */
  async until<T>(what: string, ready: () => T | undefined): Promise<T> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      const v = ready();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next request on `stream` of `typeUrl` after `after` requests, waiting for it. */
  request(stream: number, typeUrl: string, nth = 0): Promise<DiscoveryRequest> {
    return this.until(`request #${nth} for ${typeUrl} on stream ${stream}`, () => this.requests[stream]?.filter((r) => r.typeUrl === typeUrl)[nth]);
  }

  push<D extends DescMessage>(stream: number, typeUrl: string, version: string, schema: D, resources: MessageShape<D>[]): string {
    const nonce = `n${++this.nonce}`;
    this.streams[stream]!.write(create(DiscoveryResponseSchema, { typeUrl, versionInfo: version, nonce, resources: resources.map((r) => packAny(schema, r)) }));
    return nonce;
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.destroy();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

function staticIdentity(cert: WorkloadCertificate): IdentityProvider {
  return { current: () => cert, onChange: () => () => undefined };
}

describe('XdsClient over ADS (loopback, mTLS)', () => {
  let ca: TestCa;
  let ads: ScriptedAds;
  let client: XdsClient | undefined;
  const configs: ProxyConfig[] = [];

  beforeAll(async () => {
    ca = createTestCa();
    ads = new ScriptedAds(ca, ca.issue(SERVER_ID));
    await ads.listen();
  });

  afterAll(async () => {
    await client?.close();
    await ads?.close();
    ca?.dispose();
  });

  it('falls back to state of the world when delta is UNIMPLEMENTED; subscribes CDS+LDS, follows with EDS/RDS, ACKs each version, applies one complete snapshot; NACKs a bad listener keeping the last good config; resubscribes after a reconnect', async () => {
    const nacks: string[] = [];
    client = new XdsClient({
      address: `127.0.0.1:${ads.port}`,
      node: NODE,
      identity: staticIdentity(ca.issue('spiffe://cluster.local/ns/default/sa/productpage')),
      serverSpiffeIds: [SERVER_ID],
      serverName: 'skein-controlplane.skein-system.svc',
      backoff: { baseMs: 20, maxMs: 100 },
      onConfig: (c) => {
        configs.push(c);
      },
    });
    client.on('nack', (_t, m) => nacks.push(m));
    client.start();

    // Stream 0 (after delta was refused) opens with CDS then LDS, wildcard, node on the first request only.
    const cds0 = await ads.request(0, TypeUrls.cluster);
    expect(ads.deltaAttempts).toBe(1);
    expect(client.status().protocol).toBe('sotw');
    const lds0 = await ads.request(0, TypeUrls.listener);
    expect(ads.peerCerts[0]).toBe(true);
    expect(cds0.node?.id).toBe('sidecar~10.0.0.7~productpage-1.default~default.svc.cluster.local');
    expect(cds0.node?.metadata).toMatchObject({ NAMESPACE: 'default', SERVICE_ACCOUNT: 'productpage', LABELS: { app: 'productpage', version: 'v1' } });
    expect([cds0.resourceNames, cds0.versionInfo, cds0.responseNonce]).toEqual([[], '', '']);
    expect(lds0.node).toBeUndefined();

    // CDS v1 → ACK v1 and an EDS subscription for the EDS cluster.
    const cdsNonce = ads.push(0, TypeUrls.cluster, 'c1', ClusterSchema, [edsCluster(), passthroughCluster()]);
    const cdsAck = await ads.request(0, TypeUrls.cluster, 1);
    expect([cdsAck.versionInfo, cdsAck.responseNonce, cdsAck.errorDetail]).toEqual(['c1', cdsNonce, undefined]);
    const eds = await ads.request(0, TypeUrls.clusterLoadAssignment);
    expect(eds.resourceNames).toEqual([REVIEWS]);
    expect(configs).toHaveLength(0); // warming: no endpoints, no listeners yet

    ads.push(0, TypeUrls.clusterLoadAssignment, 'e1', ClusterLoadAssignmentSchema, [loadAssignment()]);
    expect((await ads.request(0, TypeUrls.clusterLoadAssignment, 1)).versionInfo).toBe('e1');
    ads.push(0, TypeUrls.listener, 'l1', ListenerSchema, [outboundListener()]);
    expect((await ads.request(0, TypeUrls.listener, 1)).versionInfo).toBe('l1');
    const rds = await ads.request(0, TypeUrls.routeConfiguration);
    expect(rds.resourceNames).toEqual([ROUTE_9080]);
    expect(configs).toHaveLength(0); // the listener waits for its routes

    ads.push(0, TypeUrls.routeConfiguration, 'r1', RouteConfigurationSchema, [routeConfig()]);
    expect((await ads.request(0, TypeUrls.routeConfiguration, 1)).versionInfo).toBe('r1');
    await ads.until('first config', () => configs[0]);
    expect(configs).toHaveLength(1);
    const first = configs[0]!;
    expect(first.listeners.map((l) => [l.name, l.kind])).toEqual([['virtualOutbound', 'outbound-transparent']]);
    expect(first.routeConfigs.map((r) => r.name)).toEqual([ROUTE_9080]);
    expect(first.endpoints).toEqual([{ clusterName: REVIEWS, endpoints: [expect.objectContaining({ address: '10.0.0.5', port: 9080, health: 'healthy', weight: 1 })] }]);
    expect(client.status().lastAccepted[TypeUrls.listener]?.version).toBe('l1');

    // A listener with a filter the proxy cannot run: NACK with the previous version and a precise reason.
    const mongo = { name: 'envoy.filters.network.mongo_proxy', configType: { case: 'typedConfig' as const, value: create(AnySchema, { typeUrl: 'type.googleapis.com/envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy' }) } };
    const badNonce = ads.push(0, TypeUrls.listener, 'l2', ListenerSchema, [outboundListener([mongo])]);
    const nack = await ads.request(0, TypeUrls.listener, 2);
    expect([nack.versionInfo, nack.responseNonce]).toEqual(['l1', badNonce]);
    expect(nack.errorDetail?.code).toBe(3);
    expect(nack.errorDetail?.message).toMatch(/^Listener virtualOutbound: filter_chains\[0\]\.filters\[0\]: unsupported filter envoy\.filters\.network\.mongo_proxy/);
    expect(nacks).toEqual([nack.errorDetail?.message]);
    expect(configs).toHaveLength(1);
    expect(client.config).toBe(first);
    expect(client.status().lastNack).toMatchObject({ typeUrl: TypeUrls.listener, rejectedVersion: 'l2', nonce: badNonce });

    // The server drops the stream: the client reconnects and resubscribes with what it accepted.
    ads.streams[0]!.emit('error', { code: grpc.status.UNAVAILABLE, details: 'control plane restart' });
    const cds1 = await ads.request(1, TypeUrls.cluster);
    expect(cds1.node?.id).toBe(cds0.node?.id);
    expect(cds1.versionInfo).toBe('c1');
    const resubscribed = await ads.until('all four types on stream 1', () => {
      const got = new Map(ads.requests[1]!.map((r) => [r.typeUrl, r]));
      return got.size === 4 ? got : undefined;
    });
    expect([...resubscribed.values()].map((r) => [r.typeUrl, r.versionInfo, r.resourceNames, r.responseNonce])).toEqual([
      [TypeUrls.cluster, 'c1', [], ''],
      [TypeUrls.clusterLoadAssignment, 'e1', [REVIEWS], ''],
      [TypeUrls.listener, 'l1', [], ''],
      [TypeUrls.routeConfiguration, 'r1', [ROUTE_9080], ''],
    ]);
    expect(client.status().streams).toBe(3); // the refused delta stream, then two state-of-the-world ones
    expect(ads.deltaAttempts).toBe(1); // the fallback lasts: the reconnect does not try delta again

    // New endpoints on the new stream reach the proxy.
    ads.push(1, TypeUrls.clusterLoadAssignment, 'e2', ClusterLoadAssignmentSchema, [loadAssignment(REVIEWS, ['10.0.0.5', '10.0.0.6'])]);
    await ads.until('second config', () => configs[1]);
    expect(configs[1]!.endpoints[0]!.endpoints.map((e) => e.address)).toEqual(['10.0.0.5', '10.0.0.6']);
  }, 30_000);

  it('refuses a control plane whose certificate is not the expected identity, and keeps retrying', async () => {
    const impostor = new XdsClient({
      address: `127.0.0.1:${ads.port}`,
      node: NODE,
      identity: staticIdentity(ca.issue('spiffe://cluster.local/ns/default/sa/productpage')),
      serverSpiffeIds: ['spiffe://cluster.local/ns/skein-system/sa/someone-else'],
      serverName: 'skein-controlplane.skein-system.svc',
      backoff: { baseMs: 20, maxMs: 40 },
      onConfig: () => undefined,
    });
    const before = ads.streams.length;
    try {
      impostor.start();
      await ads.until('two failed attempts', () => (impostor.status().streams >= 2 ? true : undefined));
      expect(impostor.status().connected).toBe(false);
      expect(impostor.status().lastError).toMatch(/UNAVAILABLE/);
      expect(ads.streams.length).toBe(before);
    } finally {
      await impostor.close();
    }
  });

  it('waits for the first certificate (the control plane requires mTLS) even when it has a trust bundle, then connects with it', async () => {
    let cert: WorkloadCertificate | undefined;
    const listeners: Array<(c: WorkloadCertificate) => void> = [];
    const identity: IdentityProvider = { current: () => cert, onChange: (l) => { listeners.push(l); return () => undefined; } };
    const late = new XdsClient({ address: `127.0.0.1:${ads.port}`, node: NODE, identity, trustBundlePem: ca.certPem, serverSpiffeIds: [SERVER_ID], serverName: 'skein-controlplane.skein-system.svc', onConfig: () => undefined });
    try {
      late.start();
      expect(late.status()).toMatchObject({ streams: 0, connected: false, lastError: expect.stringMatching(/waiting for the workload certificate/) });
      const before = ads.streams.length;
      cert = ca.issue('spiffe://cluster.local/ns/default/sa/productpage');
      for (const l of listeners) l(cert);
      const first = await ads.request(before, TypeUrls.cluster);
      expect(first.node?.id).toBe('sidecar~10.0.0.7~productpage-1.default~default.svc.cluster.local');
      expect(ads.peerCerts[before]).toBe(true);
    } finally {
      await late.close();
    }
  });

  it('NACKs the response whose snapshot the proxy could not apply, and keeps the previous config', async () => {
    let fail = false;
    const applied: ProxyConfig[] = [];
    const picky = new XdsClient({
      address: `127.0.0.1:${ads.port}`, node: NODE, identity: staticIdentity(ca.issue('spiffe://cluster.local/ns/default/sa/productpage')),
      serverSpiffeIds: [SERVER_ID], serverName: 'skein-controlplane.skein-system.svc',
      onConfig: async (c) => {
        if (fail) throw new Error('listen EADDRINUSE 0.0.0.0:15001');
        applied.push(c);
      },
    });
    try {
      const s = ads.streams.length;
      picky.start();
      await ads.request(s, TypeUrls.listener);
      ads.push(s, TypeUrls.cluster, 'c1', ClusterSchema, [edsCluster(), passthroughCluster()]);
      ads.push(s, TypeUrls.listener, 'l1', ListenerSchema, [outboundListener()]);
      await ads.request(s, TypeUrls.routeConfiguration);
      await ads.request(s, TypeUrls.clusterLoadAssignment);
      ads.push(s, TypeUrls.clusterLoadAssignment, 'e1', ClusterLoadAssignmentSchema, [loadAssignment()]);
      ads.push(s, TypeUrls.routeConfiguration, 'r1', RouteConfigurationSchema, [routeConfig()]);
      await ads.until('first snapshot', () => applied[0]);
      fail = true;
      const nonce = ads.push(s, TypeUrls.clusterLoadAssignment, 'e2', ClusterLoadAssignmentSchema, [loadAssignment(REVIEWS, ['10.0.0.9'])]);
      const nack = await ads.until('NACK of e2', () => ads.requests[s]!.find((r) => r.responseNonce === nonce));
      expect([nack.versionInfo, nack.errorDetail?.message]).toEqual(['e1', 'the proxy could not apply the snapshot: listen EADDRINUSE 0.0.0.0:15001']);
      expect(picky.config).toBe(applied[0]);
      expect(applied).toHaveLength(1);
    } finally {
      await picky.close();
    }
  });

  it('a stream that dies while a snapshot is being applied: the new stream learns the versions and subscriptions accepted meanwhile', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const applying = new Promise<void>((resolve) => (entered = resolve));
    let gated = false;
    const slow = new XdsClient({
      address: `127.0.0.1:${ads.port}`, node: NODE, identity: staticIdentity(ca.issue('spiffe://cluster.local/ns/default/sa/productpage')),
      serverSpiffeIds: [SERVER_ID], serverName: 'skein-controlplane.skein-system.svc', backoff: { baseMs: 10, maxMs: 20 },
      onConfig: async () => {
        if (!gated) return;
        entered();
        await gate;
      },
    });
    try {
      const s = ads.streams.length;
      slow.start();
      await ads.request(s, TypeUrls.listener);
      ads.push(s, TypeUrls.cluster, 'c1', ClusterSchema, [passthroughCluster()]);
      ads.push(s, TypeUrls.listener, 'l1', ListenerSchema, [outboundListener([tcpFilter('PassthroughCluster')])]);
      await ads.until('first snapshot', () => slow.config);
      // A listener change whose apply is held until the stream has been replaced.
      gated = true;
      ads.push(s, TypeUrls.listener, 'l2', ListenerSchema, [outboundListener([tcpFilter('PassthroughCluster')], (l) => { l.filterChains[0]!.name = 'renamed'; })]);
      await applying;
      ads.streams[s]!.emit('error', { code: grpc.status.UNAVAILABLE, details: 'gone mid-apply' });
      const reopened = await ads.request(s + 1, TypeUrls.listener);
      expect(reopened.versionInfo).toBe('l1'); // l2 not committed yet
      release();
      const caughtUp = await ads.request(s + 1, TypeUrls.listener, 1);
      expect([caughtUp.versionInfo, caughtUp.responseNonce, caughtUp.errorDetail]).toEqual(['l2', '', undefined]);
    } finally {
      release();
      await slow.close();
    }
  });

  it('after the initial fetch timeout an EDS cluster the server never answers goes live without endpoints', async () => {
    const configs2: ProxyConfig[] = [];
    const waiting = new XdsClient({
      address: `127.0.0.1:${ads.port}`, node: NODE, identity: staticIdentity(ca.issue('spiffe://cluster.local/ns/default/sa/productpage')),
      serverSpiffeIds: [SERVER_ID], serverName: 'skein-controlplane.skein-system.svc', initialFetchTimeoutMs: 200,
      onConfig: (c) => {
        configs2.push(c);
      },
    });
    try {
      const s = ads.streams.length;
      waiting.start();
      await ads.request(s, TypeUrls.listener);
      ads.push(s, TypeUrls.cluster, 'c1', ClusterSchema, [edsCluster(), passthroughCluster()]);
      ads.push(s, TypeUrls.listener, 'l1', ListenerSchema, [outboundListener([tcpFilter(REVIEWS)])]);
      await ads.request(s, TypeUrls.clusterLoadAssignment);
      expect(waiting.status().waitingFor).toMatch(/ClusterLoadAssignment outbound\|9080/);
      const applied = await ads.until('snapshot after the timeout', () => configs2[0]);
      expect(applied.endpoints).toEqual([{ clusterName: REVIEWS, endpoints: [] }]);
      expect(applied.listeners.map((l) => l.name)).toEqual(['virtualOutbound']);
    } finally {
      await waiting.close();
    }
  });
});
