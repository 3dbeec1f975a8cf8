import { buildGraph, serviceOfCluster, type TargetData } from './graph';
import { type Increase } from './window';

const ns = 'default';
const fe = 'spiffe://cluster.local/ns/default/sa/frontend';
const rv = 'spiffe://cluster.local/ns/default/sa/reviews';
const base = { source_workload: 'unknown', source_workload_namespace: 'unknown', source_version: 'unknown', source_principal: 'unknown', destination_workload: 'unknown', destination_workload_namespace: 'unknown', destination_version: 'unknown', destination_principal: 'unknown', destination_service: 'unknown', response_code: '200', response_flags: '-' };
type L = Partial<typeof base> & { reporter: string };
const req = (labels: L, value: number): Increase => ({ name: 'skein_requests_total', labels: { ...base, ...labels }, value });
const bucket = (labels: L, le: string, value: number): Increase => ({ name: 'skein_request_duration_milliseconds_bucket', labels: { ...base, ...labels, le }, value });
const wl = (workload: string, version: string) => ({ workload, namespace: ns, version });
const target = (proxy: string, workload: ReturnType<typeof wl>, increases: Increase[], seconds = 10): TargetData => ({ proxy, workload, window: { seconds, increases } });

const toV1: L = { reporter: 'destination', source_workload: 'frontend', source_workload_namespace: ns, source_version: 'v1', source_principal: fe, destination_workload: 'reviews', destination_workload_namespace: ns, destination_version: 'v1', destination_principal: rv, destination_service: 'inbound|9080||' };
const toV2: L = { ...toV1, destination_version: 'v2' };
const fromLoad: L = { reporter: 'destination', destination_workload: 'frontend', destination_workload_namespace: ns, destination_version: 'v1', destination_principal: fe, destination_service: 'inbound|9080||' };
const feOut: L = { reporter: 'source', source_workload: 'frontend', source_workload_namespace: ns, source_version: 'v1', source_principal: fe, destination_service: 'outbound|9080|v1|reviews.default.svc.cluster.local' };

describe('buildGraph', () => {
  const graph = buildGraph([
    target('sidecar~127.0.10.1~frontend-v1.default~default.svc.cluster.local', wl('frontend', 'v1'), [
      req(fromLoad, 1000),
      req({ ...feOut, destination_workload: 'reviews', destination_workload_namespace: ns, destination_version: 'v1' }, 800),
      req({ ...feOut, response_code: '503', response_flags: 'UF' }, 10),
    ]),
    target('sidecar~127.0.10.2~reviews-v1.default~default.svc.cluster.local', wl('reviews', 'v1'), [
      req(toV1, 790), req({ ...toV1, response_code: '500' }, 10),
      bucket(toV1, '5', 400), bucket(toV1, '10', 800), bucket(toV1, '+Inf', 800),
    ]),
    target('sidecar~127.0.10.3~reviews-v2.default~default.svc.cluster.local', wl('reviews', 'v2'), [req(toV2, 200)]),
    target('sidecar~127.0.10.4~ratings-v1.default~default.svc.cluster.local', wl('ratings', 'v1'), []),
  ]);
  const edge = (id: string) => graph.edges.find((e) => e.id === id);

  it('has a node per workload version (idle ones too), the outside world and the service a failed call aimed at', () => {
    expect(graph.nodes.map((n) => [n.id, n.kind])).toEqual([
      ['default/frontend/v1', 'workload'], ['default/ratings/v1', 'workload'], ['default/reviews/v1', 'workload'], ['default/reviews/v2', 'workload'],
      ['service:reviews.default.svc.cluster.local', 'service'], ['unknown', 'unknown'],
    ]);
    expect(graph.nodes.find((n) => n.id === 'default/reviews/v1')!.proxies).toEqual(['sidecar~127.0.10.2~reviews-v1.default~default.svc.cluster.local']);
  });

  it('tells answered HTTP calls from the destination: rate, success, latency, mTLS and the caller\'s identity', () => {
    expect(edge('http:default/frontend/v1->default/reviews/v1')).toMatchObject({
      reporter: 'destination', mtls: 'mTLS', principals: [fe],
      signals: { rps: 80, successRate: 79 / 80, p50Ms: 5, p99Ms: 9.9, errors: [{ code: '500', flags: '-', rps: 1 }] },
    });
    expect(edge('http:default/frontend/v1->default/reviews/v2')!.signals!.rps).toBe(20);
  });

  it('does not count a call twice: the source sidecar\'s record of an answered call is left to the destination', () => {
    expect(graph.edges.filter((e) => e.source === 'default/frontend/v1').map((e) => e.id)).toEqual([
      'http:default/frontend/v1->default/reviews/v1', 'http:default/frontend/v1->default/reviews/v2', 'http:default/frontend/v1->service:reviews.default.svc.cluster.local',
    ]);
  });

  it('tells calls no sidecar answered from the source, with their code and flags', () => {
    expect(edge('http:default/frontend/v1->service:reviews.default.svc.cluster.local')).toMatchObject({ reporter: 'source', mtls: 'unknown', signals: { rps: 1, successRate: 0, errors: [{ code: '503', flags: 'UF', rps: 1 }] } });
  });

  it('shows plaintext callers from outside the mesh as the unknown node', () => {
    expect(edge('http:unknown->default/frontend/v1')).toMatchObject({ mtls: 'plaintext', principals: [], signals: { rps: 100, successRate: 1 } });
  });

  it('sums what each workload served and collects its identities', () => {
    const v1 = graph.nodes.find((n) => n.id === 'default/reviews/v1')!;
    expect(v1.inbound).toMatchObject({ rps: 80, successRate: 79 / 80 });
    expect(v1.identities).toEqual([rv]);
    expect(graph.nodes.find((n) => n.id === 'default/frontend/v1')!.identities).toEqual([fe]);
    expect(graph.nodes.find((n) => n.id === 'default/ratings/v1')!.inbound).toBeNull();
  });

  it('a proxy without a full window yet contributes its node but no rates', () => {
    const g = buildGraph([target('p', wl('frontend', 'v1'), [req(fromLoad, 5)], 0)]);
    expect([g.nodes.map((n) => n.id), g.edges]).toEqual([['default/frontend/v1'], []]);
  });

  it('TCP: meshed callers from the source, plaintext ones from the destination', () => {
    const tcp = (name: string, labels: L, value: number): Increase => ({ name, labels: { ...base, ...labels }, value });
    const g = buildGraph([
      target('a', wl('frontend', 'v1'), [tcp('skein_tcp_connections_opened_total', { reporter: 'source', source_workload: 'frontend', source_workload_namespace: ns, source_version: 'v1', source_principal: fe, destination_service: 'outbound|5432||db.default.svc.cluster.local' }, 20)]),
      target('b', wl('db', 'v1'), [
        tcp('skein_tcp_connections_opened_total', { reporter: 'destination', source_principal: fe, destination_workload: 'db', destination_workload_namespace: ns, destination_version: 'v1' }, 20),
        tcp('skein_tcp_sent_bytes_total', { reporter: 'destination', destination_workload: 'db', destination_workload_namespace: ns, destination_version: 'v1' }, 1000),
      ]),
    ]);
    expect(g.edges.map((e) => [e.id, e.tcp, e.mtls])).toEqual([
      ['tcp:default/frontend/v1->service:db.default.svc.cluster.local', { connectionsPerSecond: 2, bytesPerSecond: 0 }, 'unknown'],
      ['tcp:unknown->default/db/v1', { connectionsPerSecond: 0, bytesPerSecond: 100 }, 'plaintext'],
    ]);
  });

  it.each([
    ['outbound|9080|v1|reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local'],
    ['outbound|5432||db.data.svc.cluster.local', 'db.data.svc.cluster.local'],
    ['PassthroughCluster', 'outside the mesh'],
    ['unknown', 'no route'],
    ['inbound|9080||', 'inbound|9080||'],
  ])('names the service of cluster %s', (cluster, service) => {
    expect(serviceOfCluster(cluster)).toBe(service);
  });
});
