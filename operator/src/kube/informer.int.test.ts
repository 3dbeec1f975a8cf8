// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through (lead: add it); SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import { Informer, type InformerEvent } from './informer';
import { KubeApiError } from './api';
import { KubeRestClient, kubeConfigFor } from './rest';
import { NamespaceResource, PodResource } from './resources';
import { FakeApiServer } from './testing/fake-apiserver';
import { waitFor } from './testing/wait-for';

const pods = 'v1/pods';
const pod = (name: string, ip = '10.0.0.1') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' }, status: { podIP: ip } });

describe('Informer against the API double', () => {
  let api: FakeApiServer;
  let informer: Informer | undefined;
  let events: InformerEvent[];
  let client: KubeRestClient;

  beforeEach(async () => {
    api = new FakeApiServer();
    client = new KubeRestClient(kubeConfigFor(await api.start()));
    events = [];
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await api.close();
  });

  function start(resource = PodResource): Informer {
    informer = new Informer({ api: client, resource, onEvents: (e) => events.push(...e), backoff: { initialMs: 5, maxMs: 20 } });
    informer.start();
    return informer;
  }

  const names = (type: InformerEvent['type']) => events.filter((e) => e.type === type).map((e) => e.object.metadata.name);

  it('lists, becomes synced, then follows the watch (add, modify, delete)', async () => {
    api.put(pods, pod('a'));
    const inf = start();
    await inf.synced;
    expect(names('apply')).toEqual(['a']);
    expect(events[0]!.object.kind).toBe('Pod'); // filled in although list items omit kind
    await waitFor(() => api.openWatches(pods) === 1, 'the watch');
    api.put(pods, pod('b'));
    api.put(pods, pod('a', '10.0.0.9'));
    api.remove(pods, 'shop', 'b');
    await waitFor(() => names('delete').includes('b'), 'the delete event');
    expect(names('apply')).toEqual(['a', 'b', 'a']);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['a']);
    expect((inf.cache.get('shop/a')!.status as { podIP: string }).podIP).toBe('10.0.0.9');
  });

  it('reopens a watch that ended from the last resourceVersion, without relisting', async () => {
    const inf = start();
    await inf.synced;
    await waitFor(() => api.openWatches(pods) === 1, 'the watch');
    api.put(pods, pod('a'));
    await waitFor(() => inf.cache.has('shop/a'), 'a');
    api.closeWatches();
    api.put(pods, pod('b'));
    await waitFor(() => inf.cache.has('shop/b'), 'b after the watch was reopened');
    expect(inf.lists).toBe(1);
    const lastWatch = api.requests.filter((r) => r.query.get('watch') === 'true').at(-1)!;
    expect(Number(lastWatch.query.get('resourceVersion'))).toBeGreaterThan(0);
    expect(lastWatch.query.get('allowWatchBookmarks')).toBe('true');
  });

  it('advances its resourceVersion on BOOKMARK events', async () => {
    const inf = start();
    await inf.synced;
    await waitFor(() => api.openWatches(pods) === 1, 'the watch');
    api.put('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'unrelated' } }); // moves the global resourceVersion
    api.bookmark();
    await new Promise((r) => setTimeout(r, 50));
    api.compact(); // history before now is gone: only a watch from the bookmark's version survives
    api.closeWatches();
    await waitFor(() => api.openWatches(pods) === 1, 'the reopened watch');
    expect(inf.lists).toBe(1);
    expect(events.filter((e) => e.type === 'apply')).toHaveLength(0);
  });

  it('relists on 410 Gone and emits only the differences', async () => {
    api.put(pods, pod('keep'));
    api.put(pods, pod('gone'));
    const inf = start();
    await inf.synced;
    await waitFor(() => api.openWatches(pods) === 1, 'the watch');
    api.closeWatches();
    // While nobody watches: changes happen and the history is compacted away.
    api.put(pods, pod('new'));
    api.remove(pods, 'shop', 'gone');
    api.compact();
    events.length = 0;
    await waitFor(() => inf.lists === 2, 'a relist after 410');
    expect(names('apply')).toEqual(['new']);
    expect(names('delete')).toEqual(['gone']);
    expect([...inf.cache.keys()].sort()).toEqual(['shop/keep', 'shop/new']);
  });

  it('retries a failing list with backoff and syncs once the API answers', async () => {
    api.failNext('GET', /\/pods$/, 500, 3);
    api.put(pods, pod('a'));
    const inf = start();
    await inf.synced;
    expect(api.requests.filter((r) => r.path === '/api/v1/pods' && r.query.get('watch') === null)).toHaveLength(4);
    expect(inf.cache.has('shop/a')).toBe(true);
  });

  it('watches cluster-scoped resources', async () => {
    api.put('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } } });
    const inf = start(NamespaceResource);
    await inf.synced;
    expect(inf.cache.get('/shop')!.metadata.labels).toEqual({ 'skein.dev/inject': 'enabled' });
  });
});

describe('KubeRestClient errors', () => {
  it('turns a Status answer into KubeApiError with status and reason', async () => {
    const api = new FakeApiServer();
    try {
      const client = new KubeRestClient(kubeConfigFor(await api.start()));
      const err = await client.get('/api/v1/namespaces/x/pods/nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect(err).toMatchObject({ status: 404, reason: 'NotFound' });
    } finally {
      await api.close();
    }
  });

  it('sends the bearer token from the kubeconfig (401 with the wrong one)', async () => {
    const api = new FakeApiServer('right');
    try {
      const url = await api.start();
      await expect(new KubeRestClient(kubeConfigFor(url, 'wrong')).list('/api/v1/pods')).rejects.toMatchObject({ status: 401 });
      await expect(new KubeRestClient(kubeConfigFor(url, 'right')).list('/api/v1/pods')).resolves.toMatchObject({ items: [] });
    } finally {
      await api.close();
    }
  });
});
