import { policyView, type PolicyInput } from './policy';

const base: PolicyInput = { clusterDomain: 'cluster.local', rootNamespace: 'skein-system', virtualServices: [], destinationRules: [], peerAuthentications: [] };

describe('policyView', () => {
  it('shows the 80/20 split with the version each subset selects', () => {
    const view = policyView({
      ...base,
      destinationRules: [{ name: 'reviews', namespace: 'default', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } }],
      virtualServices: [{ name: 'reviews', namespace: 'default', spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 80 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 20 }] }] } }],
    });
    expect(view.hosts).toEqual([{
      host: 'reviews.default.svc.cluster.local',
      sources: ['DestinationRule default/reviews', 'VirtualService default/reviews'],
      destinationPolicy: ['subset v1 (version=v1)', 'subset v2 (version=v2)'],
      rules: [{ protocol: 'http', match: [], notes: [], destinations: [
        { host: 'reviews.default.svc.cluster.local', subset: 'v1', labels: 'version=v1', weight: 80 },
        { host: 'reviews.default.svc.cluster.local', subset: 'v2', labels: 'version=v2', weight: 20 },
      ] }],
    }]);
  });

  it('says what each rule matches and does besides routing', () => {
    const view = policyView({
      ...base,
      virtualServices: [{ name: 'r', namespace: 'shop', spec: { hosts: ['ratings.shop.svc.cluster.local'], http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } }, uri: { prefix: '/api' } }, { withoutHeaders: { canary: {} } }], route: [{ destination: { host: 'ratings', port: { number: 9080 } } }], timeout: '2s', retries: { attempts: 3, retryOn: '5xx', perTryTimeout: '500ms' }, fault: { abort: { httpStatus: 503, percentage: { value: 10 } }, delay: { fixedDelay: '1s' } }, mirror: { host: 'shadow' }, mirrorPercentage: { value: 5 } },
      ], tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db' } }] }] } }],
    });
    expect(view.hosts[0]!.rules).toEqual([
      { protocol: 'http', match: ['uri starts with /api and header end-user = jason', 'not header canary present'], destinations: [{ host: 'ratings.shop.svc.cluster.local', port: 9080, weight: 100 }],
        notes: ['timeout 2s', 'retries 3 on 5xx, 500ms each', 'fault: delay 1s for 100 %', 'fault: abort 503 for 10 %', 'mirror 5 % to shadow'] },
      { protocol: 'tcp', match: ['port 5432'], destinations: [{ host: 'db.shop.svc.cluster.local', weight: 100 }], notes: [] },
    ]);
  });

  it('lists the mTLS mode of the mesh, a namespace and a workload', () => {
    const view = policyView({
      ...base,
      peerAuthentications: [
        { name: 'default', namespace: 'skein-system', spec: { mtls: { mode: 'STRICT' } } },
        { name: 'legacy', namespace: 'shop', spec: { mtls: { mode: 'PERMISSIVE' } } },
        { name: 'metrics', namespace: 'shop', spec: { selector: { matchLabels: { app: 'db' } }, portLevelMtls: { '9187': { mode: 'DISABLE' } } } },
      ],
    });
    expect(view.mtls).toEqual([
      { scope: 'mesh', mode: 'STRICT', ports: [], source: 'PeerAuthentication skein-system/default' },
      { scope: 'namespace shop', mode: 'PERMISSIVE', ports: [], source: 'PeerAuthentication shop/legacy' },
      { scope: 'shop app=db', mode: 'UNSET', ports: ['9187: DISABLE'], source: 'PeerAuthentication shop/metrics' },
    ]);
  });
});
