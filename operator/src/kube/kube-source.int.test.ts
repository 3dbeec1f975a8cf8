// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through (lead: add it); SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import { ControlPlane } from '../controlplane';
import { type ConfigError } from '../core/config-error';
import { KubeSource } from './kube-source';
import { InformerNamespaceLookup } from './namespace-lookup';
import { KubeRestClient, kubeConfigFor } from './rest';
import { StatusWriter } from './status-writer';
import { FakeApiServer, type StoredObject } from './testing/fake-apiserver';
import { waitFor } from './testing/wait-for';

const vsCollection = 'networking.skein.dev/v1alpha1/virtualservices';
const virtualService = (name: string, weight = 100): StoredObject => ({
  apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name, namespace: 'shop' },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' }, weight }] }] },
});

function seed(api: FakeApiServer): void {
  api.put('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } } });
  api.put('v1/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop' }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 9080 }], selector: { app: 'reviews' } } });
  api.put('discovery.k8s.io/v1/endpointslices', {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'reviews-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'reviews' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 9080 }], endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true } }],
  });
  api.put('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'shop', labels: { app: 'reviews' } }, spec: { serviceAccountName: 'reviews' }, status: { podIP: '10.0.0.5' } });
  api.put('v1/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reviews', namespace: 'shop' } });
}

describe('KubeSource feeding the control plane from the API double', () => {
  let api: FakeApiServer;
  let source: KubeSource | undefined;
  let cp: ControlPlane;
  let errors: ConfigError[];

  beforeEach(async () => {
    api = new FakeApiServer();
    const client = new KubeRestClient(kubeConfigFor(await api.start()));
    cp = new ControlPlane({ debounce: { quietMs: 1, maxMs: 5 } });
    errors = [];
    const listener = { onEvents: cp.onEvents.bind(cp), onSynced: cp.onSynced.bind(cp), onErrors: (e: ConfigError[]) => { errors = e; cp.onErrors(e); } };
    source = new KubeSource({ api: client, listener, backoff: { initialMs: 5, maxMs: 20 } });
  });
  afterEach(async () => {
    await source?.stop();
    cp.stop();
    await api.close();
  });

  it('is ready only after every informer synced, with the same index the file source builds', async () => {
    seed(api);
    api.put(vsCollection, virtualService('reviews'));
    expect(cp.ready).toBe(false);
    await source!.start();
    expect(cp.ready).toBe(true);
    expect(source!.hasSynced()).toBe(true);
    expect(cp.index.keys().sort()).toEqual([
      'EndpointSlice/shop/reviews-1', 'Namespace//shop', 'Pod/shop/reviews-1', 'Service/shop/reviews',
      'ServiceAccount/shop/reviews', 'VirtualService/shop/reviews',
    ]);
    expect(cp.index.model().services.length).toBeGreaterThan(0);
  });

  it('keeps serving the last valid CRD and reports the invalid one; a fix clears the error', async () => {
    api.put(vsCollection, virtualService('reviews', 100));
    await source!.start();
    api.put(vsCollection, virtualService('reviews', 150));
    await waitFor(() => errors.length > 0, 'a config error');
    expect(errors[0]).toMatchObject({ object: 'VirtualService/shop/reviews', path: expect.stringContaining('weight') });
    expect(cp.index.keys()).toContain('VirtualService/shop/reviews');
    api.put(vsCollection, virtualService('reviews', 100));
    await waitFor(() => errors.length === 0, 'the error cleared');
  });

  it('pod status churn does not change the index; a new pod IP does', async () => {
    seed(api);
    await source!.start();
    const revision = cp.index.revision;
    api.put('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'shop', labels: { app: 'reviews' } }, spec: { serviceAccountName: 'reviews' }, status: { podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True' }] } });
    await new Promise((r) => setTimeout(r, 50));
    expect(cp.index.revision).toBe(revision);
    api.put('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'shop', labels: { app: 'reviews' } }, spec: { serviceAccountName: 'reviews' }, status: { podIP: '10.0.0.6' } });
    await waitFor(() => cp.index.revision > revision, 'the index to change');
  });

  it('answers the webhook\'s namespace lookups from the informer cache', async () => {
    seed(api);
    const lookup = new InformerNamespaceLookup(source!.informer('Namespace'));
    const pending = lookup.labels('shop'); // asked before the sync: waits for it
    await source!.start();
    await expect(pending).resolves.toEqual({ 'skein.dev/inject': 'enabled' });
    await expect(lookup.labels('nope')).resolves.toBeUndefined();
    const reads = api.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/')).length;
    expect(reads).toBe(0);
  });

  describe('status conditions', () => {
    it('writes Accepted=True/False with observedGeneration, only as leader and only when changed', async () => {
      const statusWriter = new StatusWriter({ api: source!['options'].api, lookup: (kind) => source!.informer(kind).cache, now: () => new Date('2026-11-21T00:00:00Z') });
      source!.subscribe((e) => statusWriter.onEvents(e));
      api.put(vsCollection, virtualService('good'));
      api.put(vsCollection, virtualService('bad', 150));
      await source!.start();
      await new Promise((r) => setTimeout(r, 30));
      await statusWriter.idle();
      expect(api.writes(/\/status$/)).toHaveLength(0); // not the leader: no writes

      statusWriter.setLeader(true);
      await waitFor(() => api.writes(/\/status$/).length === 2, 'two status writes');
      const good = api.get(vsCollection, 'shop', 'good')!.status as { observedGeneration: number; conditions: { type: string; status: string; reason: string }[] };
      expect(good.observedGeneration).toBe(1);
      expect(good.conditions[0]).toMatchObject({ type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: 1 });
      const bad = api.get(vsCollection, 'shop', 'bad')!.status as { conditions: { status: string; reason: string; message: string }[] };
      expect(bad.conditions[0]).toMatchObject({ status: 'False', reason: 'Invalid', message: expect.stringContaining('weight') });
      expect(api.writes(/\/status$/).every((r) => r.contentType === 'application/merge-patch+json')).toBe(true);

      // The status writes come back as watch events: no further writes (nothing changed).
      await new Promise((r) => setTimeout(r, 50));
      await statusWriter.idle();
      expect(api.writes(/\/status$/)).toHaveLength(2);
      // The spec stays as the user wrote it: only the status subresource was written.
      expect(api.writes(/virtualservices\/[^/]+$/)).toHaveLength(0);

      // Fixing the bad one: generation 2, Accepted=True.
      api.put(vsCollection, virtualService('bad', 100));
      await waitFor(() => (api.get(vsCollection, 'shop', 'bad')!.status as { conditions: { status: string }[] }).conditions[0]!.status === 'True', 'the fixed status');
      expect((api.get(vsCollection, 'shop', 'bad')!.status as { observedGeneration: number }).observedGeneration).toBe(2);

      statusWriter.setLeader(false);
      api.put(vsCollection, virtualService('bad', 150));
      await new Promise((r) => setTimeout(r, 50));
      expect(api.writes(/\/status$/)).toHaveLength(3); // no writes after losing leadership
    });
  });
});
