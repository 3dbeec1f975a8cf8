import { MeshIndex } from './mesh-index';
import { indexOf, pod, policy, slice, svc } from './test-fixtures';

describe('MeshIndex', () => {
  it('builds services with FQDNs, VIPs and port protocols', () => {
    const model = indexOf([svc('web', 'shop', '10.96.0.1', [{ name: 'http-web', port: 80, targetPort: 8080 }, { name: 'grpc', port: 9090 }, { name: 'redis', port: 6379 }])]).model();
    expect(model.services).toEqual([expect.objectContaining({
      fqdn: 'web.shop.svc.cluster.local', vips: ['10.96.0.1'], exportTo: ['*'],
      ports: [
        { name: 'http-web', port: 80, targetPort: 8080, protocol: 'HTTP' },
        { name: 'grpc', port: 9090, targetPort: 9090, protocol: 'GRPC' },
        { name: 'redis', port: 6379, targetPort: 6379, protocol: 'REDIS' },
      ],
    })]);
  });

  it('joins endpoints with their pods: labels, service account, meshed, readiness, zone', () => {
    const model = indexOf([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } } },
      svc('web', 'shop', '10.96.0.1', [{ name: 'http', port: 80 }]),
      pod('web-1', 'shop', '10.0.0.1', { app: 'web', version: 'v1' }, 'web-sa'),
      pod('web-2', 'shop', '10.0.0.2', { app: 'web', 'skein.dev/inject': 'false' }),
      slice('web-x', 'shop', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.1', pod: 'web-1', zone: 'a' }, { ip: '10.0.0.2', pod: 'web-2', ready: false }, { ip: '10.0.0.9' }]),
    ]).model();
    expect(model.endpoints.get('shop/web')).toEqual([
      expect.objectContaining({ address: '10.0.0.1', ports: { http: 8080 }, labels: { app: 'web', version: 'v1' }, serviceAccount: 'web-sa', meshed: true, ready: true, zone: 'a' }),
      expect.objectContaining({ address: '10.0.0.2', meshed: false, ready: false }),
      expect.objectContaining({ address: '10.0.0.9', meshed: false, labels: {}, serviceAccount: 'default' }),
    ]);
  });

  it("a pod that opted out the Istio way (sidecar.istio.io/inject: \"false\") is not meshed: the webhook did not inject it", () => {
    const model = indexOf([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } } },
      svc('web', 'shop', '10.96.0.1', [{ name: 'http', port: 80 }]),
      pod('web-1', 'shop', '10.0.0.1', { app: 'web', 'sidecar.istio.io/inject': 'false' }),
      pod('web-2', 'shop', '10.0.0.2', { app: 'web', 'sidecar.istio.io/inject': 'false', 'skein.dev/inject': 'true' }),
      slice('web-x', 'shop', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.1', pod: 'web-1' }, { ip: '10.0.0.2', pod: 'web-2' }]),
    ]).model();
    expect(model.endpoints.get('shop/web')!.map((e) => [e.address, e.meshed])).toEqual([['10.0.0.1', false], ['10.0.0.2', true]]);
  });

  it('applies idempotently, deletes by key, and rebuilds the model only after a change', () => {
    const index = new MeshIndex();
    const s = svc('web', 'shop', '10.96.0.1', [{ name: 'http', port: 80 }]);
    expect(index.apply(s)).toBe(true);
    const first = index.model();
    expect(index.apply(structuredClone(s))).toBe(false);
    expect(index.model()).toBe(first);
    expect(index.delete('Service/shop/web')).toBe(true);
    expect(index.delete('Service/shop/web')).toBe(false);
    expect(index.model().services).toEqual([]);
  });

  it('orders policies oldest first (the oldest wins conflicts)', () => {
    const model = indexOf([
      policy('VirtualService', 'b', 'x', {}, '2026-01-02T00:00:00Z'),
      policy('VirtualService', 'a', 'x', {}, '2026-01-03T00:00:00Z'),
      policy('VirtualService', 'c', 'x', {}, '2026-01-01T00:00:00Z'),
    ]).model();
    expect(model.virtualServices.map((v) => v.name)).toEqual(['c', 'b', 'a']);
  });

  it('refuses kinds it does not index', () => {
    expect(() => new MeshIndex().apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toThrow(/ConfigMap is not supported/);
  });
});
