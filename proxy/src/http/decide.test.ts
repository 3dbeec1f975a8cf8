import type { HttpConnectionManager, HttpFilter, ProxyConfig, Route } from '../config/model';
import { validateConfig } from '../config/validate';
import { Snapshot } from '../runtime/snapshot';
import { decide, errorReply, type ConnInfo, type DownstreamRequest } from './decide';

function setup(routes: Route[], filters: HttpFilter[] = [], lbPolicy: 'round-robin' | 'ring-hash' = 'round-robin'): { snap: Snapshot; hcm: HttpConnectionManager; conn: ConnInfo } {
  const raw: ProxyConfig = {
    version: '1',
    node: { id: 'n' },
    listeners: [{ name: 'l', address: '127.0.0.1', port: 1, kind: 'outbound-explicit', destinationPort: 80, filterChains: [{ name: 'c', match: {}, filter: { type: 'http', statPrefix: 's', routeConfig: { name: 'r', virtualHosts: [{ name: 'vh', domains: ['*'], routes }] }, httpFilters: [...filters, { type: 'router' }] } }] }],
    routeConfigs: [],
    clusters: [
      { name: 'a', type: 'static', lbPolicy, endpoints: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }, { address: '10.0.0.3', port: 80, health: 'unhealthy' }] },
      { name: 'empty', type: 'static', endpoints: [] },
    ],
    endpoints: [],
  };
  const cfg = validateConfig(raw);
  const chain = cfg.listeners[0]!.filterChains[0]!;
  return { snap: new Snapshot(cfg), hcm: chain.filter as HttpConnectionManager, conn: { listenerName: 'l', chainName: 'c', chain, direction: 'inbound', secure: true, peer: { spiffeId: 'spiffe://cluster.local/ns/a/sa/b', namespace: 'a', certHash: 'ff' }, sourceAddress: '10.1.1.1', destinationPort: 80 } };
}
const req = (path = '/', headers: Record<string, string> = {}): DownstreamRequest => ({ method: 'GET', path, authority: 'svc', headers, grpc: false });
const deps = (random = 0.5, now = 0) => ({ random: () => random, now: () => now, activeRequests: () => 0, ownId: () => 'spiffe://cluster.local/ns/x/sa/me' });
const to = (cluster: string): Route => ({ match: {}, action: { kind: 'route', cluster } });

describe('decide', () => {
  it('forwards with XFCC set (forged one dropped), hop-by-hop headers removed', () => {
    const { snap, hcm, conn } = setup([to('a')]);
    const d = decide(snap, conn, hcm, req('/', { 'x-forwarded-client-cert': 'URI=forged', connection: 'keep-alive, x-hop', 'x-hop': '1', 'x-keep': '2' }), deps());
    expect(d.kind).toBe('forward');
    if (d.kind !== 'forward') return;
    expect(d.headers['x-forwarded-client-cert']).toBe('By=spiffe://cluster.local/ns/x/sa/me;Hash=ff;URI=spiffe://cluster.local/ns/a/sa/b');
    expect(d.headers).not.toHaveProperty('x-hop');
    expect(d.headers['x-keep']).toBe('2');
    expect(d.endpoint.address).not.toBe('10.0.0.3'); // unhealthy endpoints get no traffic
  });

  it.each<[string, Route[], HttpFilter[], string]>([
    ['no route → NR', [{ match: { path: { exact: '/x' } }, action: { kind: 'route', cluster: 'a' } }], [], 'NR'],
    ['no healthy endpoint → UH', [to('empty')], [], 'UH'],
    ['RBAC deny → UAEX', [to('a')], [{ type: 'rbac', rbac: { policies: [{ name: 'deny-ns-a', action: 'DENY', rules: [{ namespaces: ['a'] }] }] } }], 'UAEX'],
  ])('%s', (_n, routes, filters, flag) => {
    const { snap, hcm, conn } = setup(routes, filters);
    expect(decide(snap, conn, hcm, req(), deps())).toMatchObject({ kind: 'error', flag });
  });

  it('aborts by fault percentage and delays by the route override', () => {
    const { snap, hcm, conn } = setup([{ ...to('a'), fault: { delay: { fixedDelayMs: 250, percent: 100 } } }], [{ type: 'fault', fault: { abort: { httpStatus: 503, percent: 50 } } }]);
    // The route's fault policy replaces the filter's: no abort, a delay.
    expect(decide(snap, conn, hcm, req(), deps(0.1))).toMatchObject({ kind: 'forward', delayMs: 250 });
    const plain = setup([to('a')], [{ type: 'fault', fault: { abort: { httpStatus: 418, percent: 50 } } }]);
    expect(decide(plain.snap, plain.conn, plain.hcm, req(), deps(0.1))).toEqual({ kind: 'fault-abort', status: 418, grpcStatus: undefined });
    expect(decide(plain.snap, plain.conn, plain.hcm, req(), deps(0.9)).kind).toBe('forward');
  });

  it('rate limits with a token bucket per filter (time passed in)', () => {
    const { snap, hcm, conn } = setup([to('a')], [{ type: 'local-rate-limit', rateLimit: { maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 1000 } }]);
    const kinds = [0, 0, 0, 1000].map((t) => decide(snap, conn, hcm, req(), deps(0.5, t)).kind);
    expect(kinds).toEqual(['forward', 'forward', 'error', 'forward']);
  });

  it('ring hash by cookie keeps a user on one endpoint', () => {
    const { snap, hcm, conn } = setup([{ match: {}, action: { kind: 'route', cluster: 'a', hashPolicy: [{ cookie: { name: 'user' } }] } }], [], 'ring-hash');
    for (const user of ['ann', 'bob', 'cy']) {
      const first = decide(snap, conn, hcm, req('/', { cookie: `a=1; user=${user}` }), deps(0.1));
      for (const r of [0.3, 0.7, 0.9]) {
        const again = decide(snap, conn, hcm, req('/', { cookie: `user=${user}` }), deps(r));
        expect(again.kind === 'forward' && first.kind === 'forward' && again.endpoint.address === first.endpoint.address).toBe(true);
      }
    }
  });

  it('error replies: plain text with the flag, or trailers-only gRPC', () => {
    expect(errorReply('UAEX', false)).toEqual({ status: 403, headers: { 'content-type': 'text/plain', 'x-skein-response-flags': 'UAEX' }, body: 'RBAC: access denied' });
    expect(errorReply('UH', true)).toMatchObject({ status: 200, headers: { 'grpc-status': '14' }, body: '' });
  });
});
