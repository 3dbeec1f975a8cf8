/** The ADS protocol core: subscriptions, ordering and warming, ACK/NACK, resubscription. */
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { ClusterLoadAssignmentSchema } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema } from '../../../../api/gen/envoy/config/listener/v3/listener_pb';
import { RouteConfigurationSchema } from '../../../../api/gen/envoy/config/route/v3/route_pb';
import { DiscoveryResponseSchema, type DiscoveryRequest } from '../../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { packAny } from '../../../../api/src/xds/any';
import { TypeUrls } from '../../../../api/src/xds/type-urls';
import { REVIEWS, edsCluster, loadAssignment, outboundListener, passthroughCluster, routeConfig, tcpFilter } from '../testing/resources';
import { AdsState, type Step } from './ads-state';
import { buildNode, nodeInfo } from './node';

const settings = { podName: 'productpage-1', namespace: 'default', podIp: '10.0.0.7' };
let clock = 1000;
let nonce = 0;

function newState(): AdsState {
  return new AdsState({ node: buildNode(settings), nodeInfo: nodeInfo(settings), listenerContext: { explicitOutboundPorts: new Map() }, now: () => clock });
}
function response<D extends DescMessage>(typeUrl: string, version: string, schema: D, resources: MessageShape<D>[]) {
  return create(DiscoveryResponseSchema, { typeUrl, versionInfo: version, nonce: `n${++nonce}`, resources: resources.map((r) => packAny(schema, r)) });
}
const cds = (v: string, clusters = [edsCluster(), passthroughCluster()]) => response(TypeUrls.cluster, v, ClusterSchema, clusters);
const eds = (v: string, addresses = ['10.0.0.5'], name = REVIEWS) => response(TypeUrls.clusterLoadAssignment, v, ClusterLoadAssignmentSchema, [loadAssignment(name, addresses)]);
const lds = (v: string, listener = outboundListener()) => response(TypeUrls.listener, v, ListenerSchema, [listener]);
const rds = (v: string, cluster = REVIEWS) => response(TypeUrls.routeConfiguration, v, RouteConfigurationSchema, [routeConfig(cluster)]);

/** Applies the step as the client does when onConfig succeeds. */
function commit(step: Step): DiscoveryRequest[] {
  if (step.kind !== 'accept') throw new Error(`expected accept, got NACK: ${step.message}`);
  return step.commit();
}
const short = (r: DiscoveryRequest) => [r.typeUrl.split('.').pop(), r.versionInfo, r.responseNonce, r.resourceNames, r.errorDetail?.message];

/** CDS → EDS → LDS → RDS, committed; returns the state. */
function warmed(): AdsState {
  const s = newState();
  s.streamStart();
  for (const r of [cds('c1'), eds('e1'), lds('l1'), rds('r1')]) commit(s.onResponse(r));
  return s;
}

describe('AdsState', () => {
  beforeEach(() => {
    nonce = 0;
  });

  it('opens a stream with CDS then LDS (wildcard), the node on the first request only', () => {
    const reqs = newState().streamStart();
    expect(reqs.map(short)).toEqual([['Cluster', '', '', [], undefined], ['Listener', '', '', [], undefined]]);
    expect(reqs[0]!.node?.id).toBe('sidecar~10.0.0.7~productpage-1.default~default.svc.cluster.local');
    expect(reqs[1]!.node).toBeUndefined();
  });

  it('ACKs each type and subscribes EDS and RDS by name; applies nothing until the snapshot is complete', () => {
    const s = newState();
    s.streamStart();
    const c = s.onResponse(cds('c1'));
    expect(c.kind === 'accept' && c.config).toBeFalsy();
    expect(commit(c).map(short)).toEqual([['Cluster', 'c1', 'n1', [], undefined], ['ClusterLoadAssignment', '', '', [REVIEWS], undefined]]);
    expect(s.snapshotStatus().waitingFor).toMatch(/ClusterLoadAssignment outbound\|9080/);
    const e = s.onResponse(eds('e1'));
    expect(e.kind === 'accept' && e.config).toBeFalsy(); // clusters warm, but no listeners yet
    expect(commit(e).map(short)).toEqual([['ClusterLoadAssignment', 'e1', 'n2', [REVIEWS], undefined]]);
    const l = s.onResponse(lds('l1'));
    expect(l.kind === 'accept' && l.config).toBeFalsy(); // listener waits for RDS 9080
    expect(commit(l).map(short)).toEqual([['Listener', 'l1', 'n3', [], undefined], ['RouteConfiguration', '', '', ['9080'], undefined]]);
    const r = s.onResponse(rds('r1'));
    if (r.kind !== 'accept' || !r.config) throw new Error('expected a snapshot');
    expect(r.config.version).toBe('Cluster=c1 ClusterLoadAssignment=e1 Listener=l1 RouteConfiguration=r1');
    expect(r.config.listeners.map((x) => x.name)).toEqual(['virtualOutbound']);
    expect(r.config.endpoints.map((x) => [x.clusterName, x.endpoints.length])).toEqual([[REVIEWS, 1]]);
    expect(r.commit().map(short)).toEqual([['RouteConfiguration', 'r1', 'n4', ['9080'], undefined]]);
    expect(s.config).toBe(r.config);
    expect(s.snapshotStatus()).toMatchObject({ appliedVersion: r.config.version, lastAccepted: { [TypeUrls.routeConfiguration]: { version: 'r1', nonce: 'n4', at: clock } } });
  });

  it('NACKs a response it cannot honour with the previous version, the nonce and the reason; nothing changes', () => {
    const s = warmed();
    const before = s.config;
    const bad = lds('l2', outboundListener([tcpFilter('PassthroughCluster')], (l) => { l.perConnectionBufferLimitBytes = 1; }));
    const step = s.onResponse(bad);
    if (step.kind !== 'nack') throw new Error('expected a NACK');
    expect(step.requests.map(short)).toEqual([['Listener', 'l1', bad.nonce, [], step.message]]);
    expect(step.requests[0]!.errorDetail?.code).toBe(3);
    expect(step.message).toMatch(/^Listener virtualOutbound: per_connection_buffer_limit_bytes: not supported/);
    expect(s.config).toBe(before);
    expect(s.snapshotStatus().lastNack).toEqual({ typeUrl: TypeUrls.listener, rejectedVersion: 'l2', nonce: bad.nonce, message: step.message, at: clock });
    expect(s.streamStart().find((r) => r.typeUrl === TypeUrls.listener)?.versionInfo).toBe('l1');
  });

  it('NACKs a snapshot-level problem of the type just received (two listeners on one port)', () => {
    const s = warmed();
    const twin = outboundListener(undefined, (l) => { l.name = 'twin'; });
    const step = s.onResponse(response(TypeUrls.listener, 'l2', ListenerSchema, [outboundListener(), twin]));
    expect(step.kind === 'nack' && step.message).toMatch(/duplicate address:port "0\.0\.0\.0:15001"/);
  });

  it('NACKs a type it does not subscribe to', () => {
    const s = newState();
    const step = s.onResponse(create(DiscoveryResponseSchema, { typeUrl: TypeUrls.secret, versionInfo: '1', nonce: 'x' }));
    expect(step.kind === 'nack' && step.requests.map(short)).toEqual([['Secret', '', 'x', [], expect.stringMatching(/^unsupported resource type type\.googleapis\.com\/envoy\.extensions\.transport_sockets\.tls\.v3\.Secret/)]]);
  });

  it('a snapshot the proxy fails to apply is NACKed and the previous state stays', () => {
    const s = warmed();
    const step = s.onResponse(eds('e2', ['10.0.0.9']));
    if (step.kind !== 'accept' || !step.config) throw new Error('expected a snapshot');
    expect(step.abort('bind 0.0.0.0:15001: EADDRINUSE').map(short)).toEqual([['ClusterLoadAssignment', 'e1', expect.any(String), [REVIEWS], 'bind 0.0.0.0:15001: EADDRINUSE']]);
    expect(s.config?.endpoints[0]!.endpoints[0]!.address).toBe('10.0.0.5');
    expect(s.streamStart().find((r) => r.typeUrl === TypeUrls.clusterLoadAssignment)?.versionInfo).toBe('e1');
  });

  it('a route to a cluster CDS has not sent waits (ACKed, not applied) until CDS brings it', () => {
    const s = warmed();
    const step = s.onResponse(rds('r2', 'outbound|80||ratings.default.svc.cluster.local'));
    expect(step.kind === 'accept' && step.config).toBeFalsy();
    expect(commit(step)[0]!.versionInfo).toBe('r2');
    expect(s.snapshotStatus().waitingFor).toMatch(/^unresolved reference: RouteConfiguration 9080: .*unknown cluster "outbound\|80\|\|ratings/);
    const ratings = edsCluster((c) => { c.name = 'outbound|80||ratings.default.svc.cluster.local'; c.edsClusterConfig!.serviceName = c.name; });
    commit(s.onResponse(cds('c2', [edsCluster(), ratings, passthroughCluster()])));
    const done = s.onResponse(eds('e2', ['10.0.0.8'], ratings.name));
    expect(done.kind === 'accept' && done.config?.routeConfigs[0]!.virtualHosts[0]!.routes[0]!.action).toMatchObject({ cluster: ratings.name });
  });

  it('a removed cluster still named by the old routes waits for the RDS update instead of a NACK (CDS arrives first)', () => {
    const s = warmed();
    const removed = s.onResponse(cds('c2', [passthroughCluster()]));
    expect(removed.kind).toBe('accept');
    expect(removed.kind === 'accept' && removed.config).toBeFalsy();
    expect(commit(removed).map(short)).toEqual([['Cluster', 'c2', expect.any(String), [], undefined], ['ClusterLoadAssignment', 'e1', expect.any(String), [], undefined]]);
    const step = s.onResponse(rds('r2', 'PassthroughCluster'));
    expect(step.kind === 'accept' && step.config?.clusters.map((c) => c.name)).toEqual(['PassthroughCluster']);
  });

  it('the initial fetch timeout lets an EDS cluster go live without endpoints and a listener with no routes (Envoy)', () => {
    const s = newState();
    s.streamStart();
    commit(s.onResponse(cds('c1')));
    commit(s.onResponse(lds('l1')));
    expect(s.missing()).toEqual([`ClusterLoadAssignment ${REVIEWS}`, 'RouteConfiguration 9080']);
    const step = s.expireMissing();
    if (step.kind !== 'accept' || !step.config) throw new Error('expected a snapshot');
    expect(step.config.endpoints).toEqual([{ clusterName: REVIEWS, endpoints: [] }]);
    expect(step.config.routeConfigs).toEqual([{ name: '9080', virtualHosts: [] }]);
    expect(step.commit()).toEqual([]);
    expect(s.missing()).toEqual([]);
    const late = s.onResponse(eds('e1'));
    expect(late.kind === 'accept' && late.config?.endpoints[0]!.endpoints).toHaveLength(1);
  });

  it('a reconnect resubscribes every type with the accepted versions and names, without nonces', () => {
    const s = warmed();
    const reqs = s.streamStart();
    expect(reqs.map(short)).toEqual([
      ['Cluster', 'c1', '', [], undefined], ['ClusterLoadAssignment', 'e1', '', [REVIEWS], undefined],
      ['Listener', 'l1', '', [], undefined], ['RouteConfiguration', 'r1', '', ['9080'], undefined],
    ]);
    expect(reqs[0]!.node?.id).toMatch(/^sidecar~/);
  });

  it('ignores resources it did not ask for, and re-pushed identical content is ACKed without re-applying', () => {
    const s = warmed();
    const extra = response(TypeUrls.clusterLoadAssignment, 'e2', ClusterLoadAssignmentSchema, [loadAssignment(REVIEWS), loadAssignment('not-asked')]);
    const step = s.onResponse(extra);
    expect(step.kind === 'accept' && step.config).toBeFalsy();
    expect(commit(step)[0]!.versionInfo).toBe('e2');
    clock += 1;
    const again = s.onResponse(lds('l2'));
    expect(again.kind === 'accept' && again.config).toBeFalsy();
    commit(again);
    expect(s.snapshotStatus().lastAccepted[TypeUrls.listener]).toEqual({ version: 'l2', nonce: expect.any(String), at: clock });
  });
});
