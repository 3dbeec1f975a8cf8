import { proxyTarget, type KnownProxy } from './targets';

const p = (metadata: Record<string, unknown>, ip = '10.1.2.3'): KnownProxy => ({ id: `sidecar~${ip}~reviews-v2-abc.shop~shop.svc.cluster.local`, ip, pod: 'reviews-v2-abc', namespace: 'shop', metadata });

describe('proxyTarget', () => {
  it.each<[string, KnownProxy, Partial<ReturnType<typeof proxyTarget>>]>([
    ['the workload, version and service account the proxy sent; the default metrics port', p({ WORKLOAD_NAME: 'reviews', LABELS: { app: 'reviews', version: 'v2' }, SERVICE_ACCOUNT: 'bookinfo-reviews' }),
      { workload: { workload: 'reviews', namespace: 'shop', version: 'v2' }, serviceAccount: 'bookinfo-reviews', metricsUrl: 'http://10.1.2.3:15090/stats/prometheus' }],
    ['a local-mode metrics port from SKEIN_PROMETHEUS_PORT', p({ WORKLOAD_NAME: 'reviews', SKEIN_PROMETHEUS_PORT: '41090' }, '127.0.10.3'), { metricsUrl: 'http://127.0.10.3:41090/stats/prometheus' }],
    ['an IPv6 pod address', p({}, 'fd00::7'), { metricsUrl: 'http://[fd00::7]:15090/stats/prometheus', workload: { workload: 'reviews-v2-abc', namespace: 'shop', version: 'unknown' } }],
    ['a port that is not one: default, with a note', p({ SKEIN_PROMETHEUS_PORT: '99999' }), { metricsUrl: 'http://10.1.2.3:15090/stats/prometheus', note: 'node metadata SKEIN_PROMETHEUS_PORT is not a port (1-65535); using 15090' }],
    ['a port that is not a string: default, with a note', p({ SKEIN_PROMETHEUS_PORT: { x: 1 } }), { metricsUrl: 'http://10.1.2.3:15090/stats/prometheus', note: expect.stringContaining('not a port') }],
    ['a proxyless gRPC client: not scraped', p({ GENERATOR: 'grpc' }), { metricsUrl: undefined, note: 'proxyless gRPC client: no metrics endpoint' }],
    ['the app label when WORKLOAD_NAME is missing', p({ LABELS: { app: 'reviews' } }), { workload: { workload: 'reviews', namespace: 'shop', version: 'unknown' } }],
  ])('reads %s', (_name, known, expected) => {
    expect(proxyTarget(known)).toMatchObject(expected);
  });
});
