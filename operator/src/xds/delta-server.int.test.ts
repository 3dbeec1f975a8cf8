/**
 * Delta ADS (DeltaAggregatedResources) of the real control plane over mTLS on loopback, driven by a
 * plain gRPC client the way Envoy drives it: wildcard CDS/LDS, named EDS/RDS, per-resource
 * versions, only what changed is sent (a VirtualService edit → one RouteConfiguration, endpoint
 * churn → one ClusterLoadAssignment), removed_resources, unsubscribe, NACK keeps the last good
 * version, and a reconnect with initial_resource_versions — to another replica serving the same
 * configuration — gets the same versions and nothing re-sent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type DeltaDiscoveryResponse } from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { type WorkloadCertificate } from '../../../api/src/identity';
import { CaFiles, type LoadedCa, initCaDir, loadCaDir } from '../../../ca/src/store/ca-dir';
import { defaultMeshSettings } from '../core/mesh-index';
import { TypeUrls } from '../core/translate/envoy';
import { runControlPlane, type RunningControlPlane } from '../run';
import { adsClient, collect, type DeltaStreamCall, deltaRequest, type DeltaFields, discoveryRequest, workloadCertificate } from '../testing/mtls-ads';

jest.setTimeout(30_000);

const nodeId = 'sidecar~10.0.2.1~productpage-1.default~default.svc.cluster.local';
const testdata = path.join(__dirname, '../core/translate/testdata');
const reviewsCla = 'outbound|9080||reviews.default.svc.cluster.local';
const ratingsCla = 'outbound|9090||ratings.default.svc.cluster.local';
const dbCluster = 'outbound|5432||db.default.svc.cluster.local';
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

type Rx = ReturnType<typeof collect<DeltaDiscoveryResponse>>;
const names = (r: DeltaDiscoveryResponse) => r.resources.map((x) => x.name).sort();
/** What a proxy holds, per type: name → version. */
type Held = Record<string, Record<string, string>>;

describe('delta ADS (TLS)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-delta-'));
  const configDir = path.join(dir, 'config');
  const caDir = path.join(dir, 'ca');
  let ca: LoadedCa;
  let root: string;
  let cert: WorkloadCertificate;
  const replicas: RunningControlPlane[] = [];
  const clients: grpc.Client[] = [];

  const start = () => runControlPlane({
    configDir, ca, settings: defaultMeshSettings, xdsHost: '127.0.0.1', xdsPort: 0,
    monitorHost: '127.0.0.1', monitorPort: 0, pollIntervalMs: 200, debounce: { quietMs: 20, maxMs: 100 },
  });

  beforeAll(async () => {
    fs.mkdirSync(configDir);
    fs.copyFileSync(path.join(testdata, 'base.yaml'), path.join(configDir, 'base.yaml'));
    await initCaDir(caDir);
    ca = await loadCaDir(caDir);
    // Two replicas of the control plane: same configuration, same CA (on Kubernetes: the CA Secret).
    replicas.push(await start(), await start());
    root = fs.readFileSync(path.join(caDir, CaFiles.rootCert), 'utf8');
    cert = await workloadCertificate(`127.0.0.1:${replicas[0]!.xdsPort}`, ca, { namespace: 'default', serviceAccount: 'productpage' });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const r of replicas) await r.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A delta stream to `replica`, presenting the proxy's certificate (or `who`; null: none). */
  function open(replica: RunningControlPlane, who?: Pick<WorkloadCertificate, 'certChainPem' | 'privateKeyPem'> | null): { stream: DeltaStreamCall; rx: Rx } {
    const client = adsClient(`127.0.0.1:${replica.xdsPort}`, root, who === null ? undefined : who ?? cert);
    clients.push(client);
    const stream = client.deltaAggregatedResources() as DeltaStreamCall;
    return { stream, rx: collect<DeltaDiscoveryResponse>(stream) };
  }

  /** Sends a request and returns the next response, which must be of `typeUrl`. */
  async function ask(s: { stream: DeltaStreamCall; rx: Rx }, typeUrl: string, fields: DeltaFields, first = false): Promise<DeltaDiscoveryResponse> {
    s.stream.write(deltaRequest(first ? nodeId : undefined, typeUrl, fields));
    const r = await s.rx.next(typeUrl);
    expect(r.typeUrl).toBe(typeUrl);
    return r;
  }

  const ack = (s: { stream: DeltaStreamCall }, r: DeltaDiscoveryResponse) => s.stream.write(deltaRequest(undefined, r.typeUrl, { nonce: r.nonce }));

  /** Subscribes like Envoy (CDS, EDS, LDS, RDS), ACKs everything, returns what it holds and the system versions. */
  async function subscribeAll(s: { stream: DeltaStreamCall; rx: Rx }, held: Held = {}, endpoints = [reviewsCla, ratingsCla]): Promise<{ responses: DeltaDiscoveryResponse[]; held: Held }> {
    const responses: DeltaDiscoveryResponse[] = [];
    const plan: [string, DeltaFields][] = [
      [TypeUrls.cluster, { subscribe: ['*'] }],
      [TypeUrls.endpoint, { subscribe: endpoints }],
      [TypeUrls.listener, {}], // legacy wildcard: the first request names nothing
      [TypeUrls.route, { subscribe: ['9080'] }],
    ];
    for (const [i, [type, fields]] of plan.entries()) {
      const r = await ask(s, type, { ...fields, initialVersions: held[type] ?? {} }, i === 0);
      ack(s, r);
      responses.push(r);
    }
    const out: Held = structuredClone(held);
    for (const r of responses) {
      out[r.typeUrl] ??= {};
      for (const x of r.resources) out[r.typeUrl]![x.name] = x.version;
      for (const n of r.removedResources) delete out[r.typeUrl]![n];
    }
    return { responses, held: out };
  }

  let heldAfterChanges: Held;

  it('serves wildcard and named subscriptions with per-resource versions; sends only what changed; removes what is gone', async () => {
    const s = open(replicas[0]!);
    const { responses, held } = await subscribeAll(s);
    const [cds, eds, lds, rds] = responses as [DeltaDiscoveryResponse, DeltaDiscoveryResponse, DeltaDiscoveryResponse, DeltaDiscoveryResponse];
    expect(names(cds)).toEqual(expect.arrayContaining([reviewsCla, ratingsCla, dbCluster, 'PassthroughCluster', 'BlackHoleCluster']));
    expect(names(eds)).toEqual([reviewsCla, ratingsCla].sort());
    expect(names(lds)).toEqual(expect.arrayContaining(['virtualInbound', 'virtualOutbound']));
    expect(names(rds)).toEqual(['9080']);
    for (const r of responses) for (const x of r.resources) expect(x.version).toMatch(/^[0-9a-f]{16}$/);

    // A VirtualService edit: only the changed RouteConfiguration, nothing of the other types.
    fs.copyFileSync(path.join(testdata, 'retries.yaml'), path.join(configDir, 'retries.yaml'));
    const routeUpdate = await s.rx.next('route update');
    expect(routeUpdate.typeUrl).toBe(TypeUrls.route);
    expect(names(routeUpdate)).toEqual(['9080']);
    expect(routeUpdate.resources[0]!.version).not.toBe(held[TypeUrls.route]!['9080']);
    expect(routeUpdate.removedResources).toEqual([]);
    ack(s, routeUpdate);
    await settle();
    expect(s.rx.pending()).toBe(0);

    // Endpoint churn: only that service's ClusterLoadAssignment.
    const base = fs.readFileSync(path.join(configDir, 'base.yaml'), 'utf8');
    fs.writeFileSync(path.join(configDir, 'base.yaml'), base.replace('addresses: [10.0.0.3]', 'addresses: [10.0.0.4]'));
    const edsUpdate = await s.rx.next('eds update');
    expect(edsUpdate.typeUrl).toBe(TypeUrls.endpoint);
    expect(names(edsUpdate)).toEqual([reviewsCla]);
    ack(s, edsUpdate);
    await settle();
    expect(s.rx.pending()).toBe(0);

    // Unsubscribe ratings' endpoints, then delete the db service: db's cluster is removed and
    // virtualOutbound updated; ratings' endpoints, no longer subscribed, are not sent.
    s.stream.write(deltaRequest(undefined, TypeUrls.endpoint, { unsubscribe: [ratingsCla] }));
    const withoutDb = fs.readFileSync(path.join(configDir, 'base.yaml'), 'utf8').split('\n---\n').filter((doc) => !/name: db[,\s]/.test(doc)).join('\n---\n');
    fs.writeFileSync(path.join(configDir, 'base.yaml'), withoutDb.replace('addresses: [10.0.1.1]', 'addresses: [10.0.1.2]'));
    const removal = await s.rx.next('cds removal');
    expect(removal.typeUrl).toBe(TypeUrls.cluster);
    expect(removal.resources).toEqual([]);
    expect(removal.removedResources).toEqual([dbCluster]);
    ack(s, removal);
    const ldsUpdate = await s.rx.next('lds update');
    expect(ldsUpdate.typeUrl).toBe(TypeUrls.listener);
    expect(names(ldsUpdate)).toEqual(['virtualOutbound']);
    ack(s, ldsUpdate);
    await settle();
    expect(s.rx.pending()).toBe(0);

    heldAfterChanges = await heldNow(s.rx, held, [routeUpdate, edsUpdate, removal, ldsUpdate]);
    delete heldAfterChanges[TypeUrls.endpoint]![ratingsCla];
    s.stream.end();
    await s.rx.ended;
  });

  async function heldNow(_rx: Rx, held: Held, updates: DeltaDiscoveryResponse[]): Promise<Held> {
    const out = structuredClone(held);
    for (const r of updates) {
      for (const x of r.resources) out[r.typeUrl]![x.name] = x.version;
      for (const n of r.removedResources) delete out[r.typeUrl]![n];
    }
    return out;
  }

  it('reconnect with initial_resource_versions to the other replica: same versions, nothing sent again', async () => {
    const s = open(replicas[1]!);
    const { responses } = await subscribeAll(s, heldAfterChanges, [reviewsCla]);
    // Each type's first request is answered (so the proxy knows it is current), with nothing in it.
    for (const r of responses) {
      expect({ type: r.typeUrl, resources: names(r), removed: r.removedResources }).toEqual({ type: r.typeUrl, resources: [], removed: [] });
    }
    s.stream.end();
    await s.rx.ended;

    // A proxy that holds one stale RouteConfiguration and one that no longer exists gets just those.
    const stale: Held = structuredClone(heldAfterChanges);
    stale[TypeUrls.route]!['9080'] = '0000000000000000';
    stale[TypeUrls.cluster]!['outbound|1|gone|gone.default.svc.cluster.local'] = '1111111111111111';
    const again = open(replicas[1]!);
    const second = await subscribeAll(again, stale, [reviewsCla]);
    const [cds, eds, lds, rds] = second.responses as [DeltaDiscoveryResponse, DeltaDiscoveryResponse, DeltaDiscoveryResponse, DeltaDiscoveryResponse];
    expect([names(cds), cds.removedResources]).toEqual([[], ['outbound|1|gone|gone.default.svc.cluster.local']]);
    expect(names(eds)).toEqual([]);
    expect(names(lds)).toEqual([]);
    expect(names(rds)).toEqual(['9080']);
    expect(rds.resources[0]!.version).toBe(heldAfterChanges[TypeUrls.route]!['9080']);
    again.stream.end();
    await again.rx.ended;
  });

  it('NACK: the proxy keeps its last good version; nothing is re-sent until the configuration changes; /debug/syncz and metrics say why', async () => {
    const s = open(replicas[0]!);
    await subscribeAll(s);
    fs.rmSync(path.join(configDir, 'retries.yaml'));
    const routeUpdate = await s.rx.next('route update');
    expect(names(routeUpdate)).toEqual(['9080']);
    s.stream.write(deltaRequest(undefined, TypeUrls.route, { nonce: routeUpdate.nonce, error: 'RouteConfiguration 9080: unsupported field' }));
    await settle(500);
    expect(s.rx.pending()).toBe(0); // the rejected version is not pushed again

    const syncz = await (await fetch(`http://127.0.0.1:${replicas[0]!.monitorPort}/debug/syncz`)).json() as Record<string, { protocol: string; types: Record<string, { ackedVersion?: string; nack?: { message: string } }> }>;
    const mine = Object.values(syncz).find((v) => v.protocol === 'delta' && v.types[TypeUrls.route]?.nack);
    expect(mine?.types[TypeUrls.route]!.nack!.message).toBe('RouteConfiguration 9080: unsupported field');
    expect(mine?.types[TypeUrls.cluster]!.ackedVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(await (await fetch(`http://127.0.0.1:${replicas[0]!.monitorPort}/metrics`)).text()).toMatch(/skein_xds_nacks_total\{type="RouteConfiguration"\} 1/);

    // The configuration changes again: the new version is sent.
    fs.writeFileSync(path.join(configDir, 'retries.yaml'), fs.readFileSync(path.join(testdata, 'retries.yaml'), 'utf8').replace('timeout: 3s', 'timeout: 4s'));
    const next = await s.rx.next('route after nack');
    expect(names(next)).toEqual(['9080']);
    expect(next.resources[0]!.version).not.toBe(routeUpdate.resources[0]!.version);
    ack(s, next);
    s.stream.end();
    await s.rx.ended;
  });

  it('state of the world: both replicas send the same version_info for every type', async () => {
    const versions: string[][] = [];
    for (const replica of replicas) {
      const client = adsClient(`127.0.0.1:${replica.xdsPort}`, root, cert);
      clients.push(client);
      const stream = client.streamAggregatedResources();
      const rx = collect(stream);
      const seen: string[] = [];
      for (const [type, names] of [[TypeUrls.cluster, []], [TypeUrls.endpoint, [reviewsCla]], [TypeUrls.listener, []], [TypeUrls.route, ['9080']]] as const) {
        stream.write(discoveryRequest(nodeId, type, { names: [...names] }));
        const r = await rx.next(type);
        seen.push(`${r.typeUrl}=${r.versionInfo}`);
        stream.write(discoveryRequest(nodeId, type, { names: [...names], version: r.versionInfo, nonce: r.nonce }));
      }
      versions.push(seen);
      stream.end();
      await rx.ended;
    }
    expect(versions[1]).toEqual(versions[0]);
  });

  it.each([
    ['without a certificate', undefined, grpc.status.UNAUTHENTICATED, /workload certificate/],
    ['with another workload\'s certificate', 'reviews', grpc.status.PERMISSION_DENIED, /productpage-1 runs as service account productpage/],
  ])('refuses a delta stream %s (the same gate as state of the world)', async (_what, serviceAccount, code, message) => {
    const other = serviceAccount ? await workloadCertificate(`127.0.0.1:${replicas[0]!.xdsPort}`, ca, { namespace: 'default', serviceAccount }) : null;
    const s = open(replicas[0]!, other);
    s.stream.write(deltaRequest(nodeId, TypeUrls.cluster, { subscribe: ['*'] }));
    const ended = await s.rx.ended;
    expect(ended.code).toBe(code);
    expect(ended.details).toMatch(message);
  });
});
