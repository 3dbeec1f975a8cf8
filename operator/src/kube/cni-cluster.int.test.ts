// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through; SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import { KubeNodeCluster } from './cni-cluster';
import { KubeRestClient, kubeConfigFor } from './rest';
import { FakeApiServer } from './testing/fake-apiserver';

describe('KubeNodeCluster (the CNI agent\'s view) against the API double', () => {
  let api: FakeApiServer;
  let cluster: KubeNodeCluster;

  beforeEach(async () => {
    api = new FakeApiServer();
    cluster = new KubeNodeCluster(new KubeRestClient(kubeConfigFor(await api.start())));
  });
  afterEach(() => api.close());

  it('reads a pod\'s uid and annotations, and says when it does not exist', async () => {
    api.put('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cart', namespace: 'shop', uid: 'uid-1', annotations: { 'cni.skein.dev/capture': '[]' } } });
    await expect(cluster.pod('shop', 'cart')).resolves.toEqual({ uid: 'uid-1', annotations: { 'cni.skein.dev/capture': '[]' } });
    await expect(cluster.pod('shop', 'ghost')).resolves.toBeUndefined();
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/namespaces/shop/pods/cart', 'GET /api/v1/namespaces/shop/pods/ghost']);
  });

  it('a failing API server is an error, not "no such pod"', async () => {
    api.failNext('GET', /pods\/cart$/, 500);
    await expect(cluster.pod('shop', 'cart')).rejects.toThrow(/500/);
  });

  it('the DaemonSet is removed when it is gone or being deleted, not while it exists', async () => {
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'skein-cni-agent', namespace: 'skein-system' } };
    await expect(cluster.daemonSetRemoved('skein-system', 'skein-cni-agent')).resolves.toBe(true);
    api.put('apps/v1/daemonsets', ds);
    await expect(cluster.daemonSetRemoved('skein-system', 'skein-cni-agent')).resolves.toBe(false);
    api.put('apps/v1/daemonsets', { ...ds, metadata: { ...ds.metadata, deletionTimestamp: '2030-01-01T00:00:00Z' } });
    await expect(cluster.daemonSetRemoved('skein-system', 'skein-cni-agent')).resolves.toBe(true);
    api.failNext('GET', /daemonsets/, 403, 1, 'Forbidden');
    await expect(cluster.daemonSetRemoved('skein-system', 'skein-cni-agent')).rejects.toThrow(/403/);
  });
});
