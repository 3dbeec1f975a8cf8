import { buildView, worstSync, type ProxyInput } from './view';
import { type TypeSync } from './view';

const synced = (type: string): TypeSync => ({ type, status: 'SYNCED', version: '3' });
const proxy = (pod: string, app: string, version: string, sync: TypeSync[], rps: number, extra: Partial<ProxyInput> = {}): ProxyInput => ({
  target: { id: `sidecar~127.0.10.1~${pod}.default~default.svc.cluster.local`, pod, namespace: 'default', workload: { workload: app, namespace: 'default', version }, serviceAccount: app, metricsUrl: 'http://127.0.10.1:1/stats/prometheus' },
  sync,
  scrape: { state: 'ok' },
  window: { seconds: 10, increases: rps ? [{ name: 'skein_requests_total', labels: { reporter: 'destination', source_workload: 'frontend', source_workload_namespace: 'default', source_version: 'v1', source_principal: 'spiffe://cluster.local/ns/default/sa/frontend', destination_workload: app, destination_workload_namespace: 'default', destination_version: version, destination_principal: `spiffe://cluster.local/ns/default/sa/${app}`, response_code: '200' }, value: rps * 10 }] : [] },
  ...extra,
});

describe('buildView', () => {
  const view = buildView({
    now: Date.UTC(2026, 10, 30, 12, 0, 0),
    trustDomain: 'cluster.local',
    windowMs: 10_000,
    intervalMs: 2_000,
    policy: { clusterDomain: 'cluster.local', rootNamespace: 'skein-system', virtualServices: [], destinationRules: [], peerAuthentications: [] },
    proxies: [
      proxy('frontend-v1', 'frontend', 'v1', ['CDS', 'EDS', 'LDS', 'RDS'].map(synced), 0),
      proxy('reviews-v1', 'reviews', 'v1', [synced('CDS'), { type: 'LDS', status: 'NACKED', version: '4', message: 'listener x: bad' }], 8),
      proxy('reviews-v2', 'reviews', 'v2', [synced('CDS'), { type: 'RDS', status: 'STALE' }], 2, { scrape: { state: 'failed', error: 'connect ECONNREFUSED' } }),
      proxy('ratings-v1', 'ratings', 'v1', [], 0, { scrape: { state: 'waiting' } }),
    ],
  });

  it('gives each proxy its overall sync state and the workload node it belongs to', () => {
    expect(view.proxies.map((p) => [p.pod, p.status, p.node, p.scrape.state])).toEqual([
      ['frontend-v1', 'SYNCED', 'default/frontend/v1', 'ok'],
      ['ratings-v1', 'NOT SENT', 'default/ratings/v1', 'waiting'],
      ['reviews-v1', 'NACKED', 'default/reviews/v1', 'ok'],
      ['reviews-v2', 'STALE', 'default/reviews/v2', 'failed'],
    ]);
    expect(view.proxiesScraped).toBe(2);
  });

  it('marks identities seen in traffic apart from those only expected from the service account', () => {
    const node = (id: string) => view.nodes.find((n) => n.id === id)!;
    expect(node('default/reviews/v1').identities).toEqual([{ spiffeId: 'spiffe://cluster.local/ns/default/sa/reviews', seen: true }]);
    expect(node('default/ratings/v1').identities).toEqual([{ spiffeId: 'spiffe://cluster.local/ns/default/sa/ratings', seen: false }]);
    expect(node('default/frontend/v1').sync).toBe('SYNCED');
  });

  it('gives each version its share of the caller\'s requests to that workload', () => {
    expect(view.edges.map((e) => [e.target, e.share])).toEqual([['default/reviews/v1', 0.8], ['default/reviews/v2', 0.2]]);
  });

  it('stamps the time it was made and the window', () => {
    expect([view.generatedAt, view.windowSeconds, view.scrapeIntervalSeconds]).toEqual(['2026-11-30T12:00:00.000Z', 10, 2]);
  });

  it.each([
    [[], null],
    [['SYNCED', 'SYNCED'], 'SYNCED'],
    [['SYNCED', 'NOT SENT'], 'NOT SENT'],
    [['STALE', 'NOT SENT', 'SYNCED'], 'STALE'],
    [['SYNCED', 'NACKED', 'STALE'], 'NACKED'],
  ] as const)('worst of %j is %s', (states, worst) => {
    expect(worstSync(states)).toBe(worst);
  });
});
