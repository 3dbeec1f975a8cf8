/** The delta ADS protocol core: wildcard and named subscriptions, incremental merge, removals, ACK/NACK, reconnect. */
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { ClusterLoadAssignmentSchema } from '../../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema } from '../../../../api/gen/envoy/config/listener/v3/listener_pb';
import { RouteConfigurationSchema } from '../../../../api/gen/envoy/config/route/v3/route_pb';
import { DeltaDiscoveryResponseSchema, type DeltaDiscoveryRequest } from '../../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { packAny } from '../../../../api/src/xds/any';
import { TypeUrls } from '../../../../api/src/xds/type-urls';
import { REVIEWS, edsCluster, loadAssignment, outboundListener, passthroughCluster, routeConfig, tcpFilter } from '../testing/resources';
import { DeltaAdsState, type DeltaStep } from './delta-state';
import { buildNode, nodeInfo } from './node';

const settings = { podName: 'productpage-1', namespace: 'default', podIp: '10.0.0.7' };
const RATINGS = 'outbound|9090||ratings.default.svc.cluster.local';
let nonce = 0;

function newState(): DeltaAdsState {
  return new DeltaAdsState({ node: buildNode(settings), nodeInfo: nodeInfo(settings), listenerContext: { explicitOutboundPorts: new Map() }, now: () => 1000 });
}

interface Named<D extends DescMessage> {
  name: string;
  version: string;
  schema: D;
  message: MessageShape<D>;
}
function response(typeUrl: string, system: string, resources: Named<DescMessage>[], removed: string[] = []) {
  return create(DeltaDiscoveryResponseSchema, {
    typeUrl, systemVersionInfo: system, nonce: `n${++nonce}`, removedResources: removed,
    resources: resources.map((r) => ({ name: r.name, version: r.version, resource: packAny(r.schema, r.message) })),
  });
}
const cluster = (version: string, c = edsCluster()) => ({ name: c.name, version, schema: ClusterSchema, message: c }) as Named<DescMessage>;
const cla = (version: string, name = REVIEWS, addresses = ['10.0.0.5']) => ({ name, version, schema: ClusterLoadAssignmentSchema, message: loadAssignment(name, addresses) }) as Named<DescMessage>;
const listener = (version: string, l = outboundListener()) => ({ name: l.name, version, schema: ListenerSchema, message: l }) as Named<DescMessage>;
const route = (version: string, to = REVIEWS) => ({ name: '9080', version, schema: RouteConfigurationSchema, message: routeConfig(to) }) as Named<DescMessage>;
const ratingsCluster = () => edsCluster((c) => { c.name = RATINGS; c.edsClusterConfig!.serviceName = RATINGS; });

function commit(step: DeltaStep): DeltaDiscoveryRequest[] {
  if (step.kind !== 'accept') throw new Error(`expected accept, got NACK: ${step.message}`);
  return step.commit();
}
const short = (r: DeltaDiscoveryRequest) => [r.typeUrl.split('.').pop(), r.resourceNamesSubscribe, r.resourceNamesUnsubscribe, r.responseNonce, r.errorDetail?.message];

function warmed(): DeltaAdsState {
  const s = newState();
  s.streamStart();
  commit(s.onResponse(response(TypeUrls.cluster, 'c1', [cluster('vc1'), cluster('vp1', passthroughCluster())])));
  commit(s.onResponse(response(TypeUrls.clusterLoadAssignment, 'e1', [cla('ve1')])));
  commit(s.onResponse(response(TypeUrls.listener, 'l1', [listener('vl1')])));
  commit(s.onResponse(response(TypeUrls.routeConfiguration, 'r1', [route('vr1')])));
  return s;
}

describe('DeltaAdsState', () => {
  beforeEach(() => {
    nonce = 0;
  });

  it('opens a stream subscribing to CDS and LDS with the wildcard, the node on the first request only', () => {
    const reqs = newState().streamStart();
    expect(reqs.map(short)).toEqual([['Cluster', ['*'], [], '', undefined], ['Listener', ['*'], [], '', undefined]]);
    expect(reqs[0]!.node?.id).toBe('sidecar~10.0.0.7~productpage-1.default~default.svc.cluster.local');
    expect(reqs[1]!.node).toBeUndefined();
  });

  it('ACKs with the nonce only, subscribes EDS/RDS names as clusters and listeners arrive, applies once complete', () => {
    const s = newState();
    s.streamStart();
    const c = s.onResponse(response(TypeUrls.cluster, 'c1', [cluster('vc1'), cluster('vp1', passthroughCluster())]));
    expect(c.kind === 'accept' && c.config).toBeFalsy();
    expect(commit(c).map(short)).toEqual([['Cluster', [], [], 'n1', undefined], ['ClusterLoadAssignment', [REVIEWS], [], '', undefined]]);
    commit(s.onResponse(response(TypeUrls.clusterLoadAssignment, 'e1', [cla('ve1')])));
    expect(commit(s.onResponse(response(TypeUrls.listener, 'l1', [listener('vl1')]))).map(short))
      .toEqual([['Listener', [], [], 'n3', undefined], ['RouteConfiguration', ['9080'], [], '', undefined]]);
    const r = s.onResponse(response(TypeUrls.routeConfiguration, 'r1', [route('vr1')]));
    if (r.kind !== 'accept' || !r.config) throw new Error('expected a snapshot');
    expect(r.config.version).toBe('Cluster=c1 ClusterLoadAssignment=e1 Listener=l1 RouteConfiguration=r1');
    r.commit();
    expect(s.config).toBe(r.config);
  });

  it('merges an update of one resource into what it holds (the other resources stay)', () => {
    const s = warmed();
    commit(s.onResponse(response(TypeUrls.cluster, 'c2', [cluster('vr1', ratingsCluster())])));
    commit(s.onResponse(response(TypeUrls.clusterLoadAssignment, 'e2', [cla('ve2', RATINGS, ['10.0.1.1'])])));
    const step = s.onResponse(response(TypeUrls.clusterLoadAssignment, 'e3', [cla('ve3', REVIEWS, ['10.0.0.6', '10.0.0.7'])]));
    if (step.kind !== 'accept' || !step.config) throw new Error('expected a snapshot');
    expect(step.config.clusters.map((c) => c.name).sort()).toEqual(['PassthroughCluster', RATINGS, REVIEWS].sort());
    expect(step.config.endpoints.map((e) => [e.clusterName, e.endpoints.length]).sort()).toEqual([[RATINGS, 1], [REVIEWS, 2]].sort());
  });

  it('a removed cluster unsubscribes its endpoints and forgets their version', () => {
    const s = warmed();
    const step = s.onResponse(response(TypeUrls.cluster, 'c2', [], [REVIEWS]));
    expect(commit(step).map(short)).toEqual([['Cluster', [], [], expect.any(String), undefined], ['ClusterLoadAssignment', [], [REVIEWS], '', undefined]]);
    expect(s.heldVersions(TypeUrls.cluster)).toEqual({ PassthroughCluster: 'vp1' });
    expect(s.heldVersions(TypeUrls.clusterLoadAssignment)).toEqual({});
  });

  it('NACKs what it cannot honour with the nonce and the reason; it keeps every resource it held', () => {
    const s = warmed();
    const before = s.config;
    const bad = listener('vl2', outboundListener([tcpFilter('PassthroughCluster')], (l) => { l.perConnectionBufferLimitBytes = 1; }));
    const resp = response(TypeUrls.listener, 'l2', [bad]);
    const step = s.onResponse(resp);
    if (step.kind !== 'nack') throw new Error('expected a NACK');
    expect(step.requests.map(short)).toEqual([['Listener', [], [], resp.nonce, step.message]]);
    expect(step.requests[0]!.errorDetail?.code).toBe(3);
    expect(step.message).toMatch(/^Listener virtualOutbound: per_connection_buffer_limit_bytes: not supported/);
    expect(s.config).toBe(before);
    expect(s.heldVersions(TypeUrls.listener)).toEqual({ virtualOutbound: 'vl1' });
    expect(s.snapshotStatus().lastNack).toMatchObject({ typeUrl: TypeUrls.listener, rejectedVersion: 'l2', nonce: resp.nonce });
  });

  it.each([
    ['a resource without a body', () => create(DeltaDiscoveryResponseSchema, { typeUrl: TypeUrls.routeConfiguration, nonce: 'x', resources: [{ name: '9080', version: 'v' }] }), /^RouteConfiguration 9080: the resource has no body$/],
    ['a resource sent under another name', () => response(TypeUrls.routeConfiguration, 'r2', [{ ...route('vr2'), name: '9090' }]), /^RouteConfiguration 9080: sent under the name "9090"$/],
    ['a type it does not subscribe to', () => create(DeltaDiscoveryResponseSchema, { typeUrl: TypeUrls.secret, nonce: 'x' }), /^unsupported resource type/],
  ])('NACKs %s', (_what, make, message) => {
    const step = warmed().onResponse(make());
    expect(step.kind === 'nack' && step.message).toMatch(message);
  });

  it('a snapshot the proxy fails to apply is NACKed and the versions it held stay', () => {
    const s = warmed();
    const step = s.onResponse(response(TypeUrls.clusterLoadAssignment, 'e2', [cla('ve2', REVIEWS, ['10.0.0.9'])]));
    if (step.kind !== 'accept' || !step.config) throw new Error('expected a snapshot');
    expect(step.abort('bind: EADDRINUSE').map(short)).toEqual([['ClusterLoadAssignment', [], [], expect.any(String), 'bind: EADDRINUSE']]);
    expect(s.heldVersions(TypeUrls.clusterLoadAssignment)).toEqual({ [REVIEWS]: 've1' });
  });

  it('a reconnect resubscribes every type with initial_resource_versions of what it holds', () => {
    const s = warmed();
    const reqs = s.streamStart();
    expect(reqs.map((r) => [r.typeUrl.split('.').pop(), r.resourceNamesSubscribe, r.initialResourceVersions, r.responseNonce])).toEqual([
      ['Cluster', ['*'], { [REVIEWS]: 'vc1', PassthroughCluster: 'vp1' }, ''],
      ['ClusterLoadAssignment', [REVIEWS], { [REVIEWS]: 've1' }, ''],
      ['Listener', ['*'], { virtualOutbound: 'vl1' }, ''],
      ['RouteConfiguration', ['9080'], { 9080: 'vr1' }, ''],
    ]);
    // The server answers with nothing new: ACKed, nothing re-applied.
    const empty = s.onResponse(response(TypeUrls.cluster, 'c1', []));
    expect(empty.kind === 'accept' && empty.config).toBeFalsy();
  });

  it('ignores named resources it did not subscribe to', () => {
    const s = warmed();
    const step = s.onResponse(response(TypeUrls.clusterLoadAssignment, 'e2', [cla('vx', 'not-asked')]));
    expect(step.kind === 'accept' && step.config).toBeFalsy();
    commit(step);
    expect(s.heldVersions(TypeUrls.clusterLoadAssignment)).toEqual({ [REVIEWS]: 've1' });
  });
});
