import { formatConfigError } from './config-error';
import { analyzeSources, salvageForAnalysis } from './analyze';
import { defaultMeshSettings } from './mesh-index';

const svc = 'apiVersion: v1\nkind: Service\nmetadata: { name: reviews, namespace: default }\nspec: { ports: [{ name: http, port: 9080 }] }';
const run = (files: Record<string, string>, clusterObjects?: unknown[]) =>
  analyzeSources({ files: Object.entries(files).map(([name, text]) => ({ name, text })), ...(clusterObjects ? { clusterObjects } : {}), settings: defaultMeshSettings }).errors.map(formatConfigError);

describe('analyze in one pass', () => {
  it.each<[string, unknown, unknown]>([
    ['a VirtualService keeps its well-typed hosts and destinations', {
      apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name: 'v' },
      spec: { hosts: ['a', 3], http: [{ route: [{ destination: { host: 'a', subset: 'x', port: { number: 80 } }, weight: 'lots' }, { destination: 'nope' }], mirror: { host: 'm' } }], tcp: 'bad' },
    }, { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', subset: 'x', port: { number: 80 } } }], mirror: { host: 'm' } }], tcp: [] }],
    ['a DestinationRule keeps its host and named subsets', {
      apiVersion: 'networking.skein.dev/v1alpha1', kind: 'DestinationRule', metadata: { name: 'd', namespace: 'shop' },
      spec: { host: 'a', trafficPolicy: 'x', subsets: [{ name: 'v1', labels: { version: 'v1', n: 1 } }, { labels: {} }] },
    }, { host: 'a', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }],
    ['a DestinationRule without a host is not salvaged', { kind: 'DestinationRule', metadata: { name: 'd' }, spec: { subsets: [] } }, undefined],
    ['other kinds are not salvaged', { kind: 'Service', metadata: { name: 's' }, spec: {} }, undefined],
    ['not an object', 'text', undefined],
  ])('%s', (_name, raw, spec) => {
    const salvaged = salvageForAnalysis(raw);
    expect(salvaged?.spec).toEqual(spec);
    if (salvaged) expect(salvaged.metadata.namespace).toBeDefined();
  });

  it('reports the schema error and the dangling subset of one VirtualService together, each with its line', () => {
    const vs = 'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: r, namespace: default }\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: { host: reviews, subset: v9 }\n      weight: lots';
    const errors = run({ 'svc.yaml': svc, 'vs.yaml': vs });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^vs\.yaml:9 document 0 VirtualService\/default\/r: spec\.http\[0\]\.route\[0\]\.weight: /);
    expect(errors[1]).toBe('vs.yaml:8 document 0 VirtualService/default/r: spec.http[0].route[0].destination: subset "v9" of reviews.default.svc.cluster.local is not defined by any DestinationRule');
  });

  it('files replace cluster objects of the same key ("as if applied"); cluster objects carry no file', () => {
    const clusterVs = { apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'default' }, spec: { hosts: ['ghost'], http: [{ route: [{ destination: { host: 'ghost' } }] }] } };
    const clusterSvc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 9080 }] } };
    expect(run({}, [clusterVs, clusterSvc])).toEqual([
      'VirtualService/default/r: spec.hosts[0]: host "ghost" (ghost.default.svc.cluster.local) is not a known service',
      'VirtualService/default/r: spec.http[0].route[0].destination: host "ghost" is not a known service',
    ]);
    const fixed = 'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: r, namespace: default }\nspec: { hosts: [reviews], http: [{ route: [{ destination: { host: reviews } }] }] }';
    expect(run({ 'fix.yaml': fixed }, [clusterVs, clusterSvc])).toEqual([]);
  });

  it('a duplicate within the files names the first one', () => {
    expect(run({ 'a.yaml': svc, 'b.yaml': svc })).toEqual(['b.yaml:3 document 0 Service/default/reviews: metadata.name: duplicate: also defined in a.yaml document 0']);
  });
});
