// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through; SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import { Informer, type InformerEvent } from '../../../operator/src/kube/informer';
import { KubeRestClient, loadKubeConfig } from '../../../operator/src/kube/rest';
import { ConfigMapResource } from '../../../operator/src/kube/resources';
import { waitUntil } from '../../harness/wait';
import { type SimulatedApiServer, startSimulatedApiServer } from './index';
import { openWatch, raw } from './testing';

jest.setTimeout(60_000);

const cm = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { k: name } });
const names = (events: { type: string; object: { metadata: { name: string } } }[]) => events.map((e) => `${e.type} ${e.object.metadata.name}`);

describe('watch on the simulated API server', () => {
  let api: SimulatedApiServer;
  beforeAll(async () => {
    api = await startSimulatedApiServer({ controllers: { namespace: true } });
    await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' } });
  });
  afterAll(() => api.stop());

  it('starts with the current objects as ADDED when no resourceVersion is given, then follows changes matching the label selector', async () => {
    await raw(api, 'POST', '/api/v1/namespaces/w/configmaps', cm('one', { team: 'a' }));
    await raw(api, 'POST', '/api/v1/namespaces/w/configmaps', cm('other', { team: 'b' }));
    const w = openWatch(api, '/api/v1/namespaces/w/configmaps?watch=true&labelSelector=team%3Da');
    expect(await w.status).toBe(200);
    await waitUntil(() => w.events.length === 1, { what: 'initial event', timeoutMs: 5000 });
    await raw(api, 'POST', '/api/v1/namespaces/w/configmaps', cm('two', { team: 'a' }));
    await raw(api, 'PATCH', '/api/v1/namespaces/w/configmaps/other', { metadata: { labels: { team: 'a' } } }, { contentType: 'application/merge-patch+json' });
    await raw(api, 'PATCH', '/api/v1/namespaces/w/configmaps/one', { metadata: { labels: { team: 'c' } } }, { contentType: 'application/merge-patch+json' });
    await raw(api, 'DELETE', '/api/v1/namespaces/w/configmaps/two');
    await waitUntil(() => w.events.length === 5, { what: 'five events', timeoutMs: 5000 });
    w.stop();
    // Starting to match a selector is ADDED to that watch, ceasing to match is DELETED, as the watch cache does it.
    expect(names(w.events)).toEqual(['ADDED one', 'ADDED two', 'ADDED other', 'DELETED one', 'DELETED two']);
    expect(Number(w.events[4]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(w.events[3]!.object.metadata.resourceVersion));
  });

  it('replays what changed after a resourceVersion, and answers one too old with an ERROR event carrying 410 Expired', async () => {
    const list = await raw(api, 'GET', '/api/v1/namespaces/w/configmaps');
    expect(list.json).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String) } });
    expect(list.json.items[0].kind).toBeUndefined(); // typed lists carry no TypeMeta in their items
    const rv = list.json.metadata.resourceVersion as string;
    await raw(api, 'POST', '/api/v1/namespaces/w/configmaps', cm('three'));
    const w = openWatch(api, `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}`);
    await waitUntil(() => w.events.length === 1, { what: 'the replayed change', timeoutMs: 5000 });
    expect(names(w.events)).toEqual(['ADDED three']);
    w.stop();

    api.compact();
    const old = openWatch(api, `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}`);
    await old.ended;
    expect(await old.status).toBe(200);
    expect(old.events).toEqual([{ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410, message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/) } }]);
  });

  it('sends BOOKMARKs when asked, the initial-events-end bookmark with sendInitialEvents, and ends at timeoutSeconds', async () => {
    const w = openWatch(api, '/api/v1/namespaces/w/configmaps?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=2');
    await waitUntil(() => w.events.some((e) => e.type === 'BOOKMARK'), { what: 'initial-events-end', timeoutMs: 5000 });
    const end = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(end.object).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(api.store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } } });
    expect(w.events.filter((e) => e.type === 'ADDED').length).toBeGreaterThan(0);
    api.bookmark();
    await waitUntil(() => w.events.filter((e) => e.type === 'BOOKMARK').length === 2, { what: 'a bookmark', timeoutMs: 5000 });
    await w.ended; // timeoutSeconds=2 ends the watch server-side
  });

  it('refuses an unknown field selector and a malformed label selector with 400', async () => {
    const field = await raw(api, 'GET', '/api/v1/namespaces/w/configmaps?fieldSelector=spec.nodeName%3Dx');
    expect(field).toMatchObject({ status: 400, json: { reason: 'BadRequest', message: 'field label not supported: spec.nodeName' } });
    const label = await raw(api, 'GET', '/api/v1/pods?labelSelector=a%20in%20(b');
    expect(label.status).toBe(400);
  });

  it('paginates lists with limit and continue', async () => {
    const first = await raw(api, 'GET', '/api/v1/namespaces/w/configmaps?limit=2');
    expect(first.json.items).toHaveLength(2);
    expect(first.json.metadata.continue).toEqual(expect.any(String));
    const rest = await raw(api, 'GET', `/api/v1/namespaces/w/configmaps?limit=50&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    const all = await raw(api, 'GET', '/api/v1/namespaces/w/configmaps');
    expect([...first.json.items, ...rest.json.items].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(all.json.items.map((i: { metadata: { name: string } }) => i.metadata.name));
    expect(rest.json.metadata.continue).toBeUndefined();
  });

  it('serves the control plane\'s own informer over HTTPS from the kubeconfig, through a watch that is cut and resumed', async () => {
    const client = new KubeRestClient(loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
    const events: InformerEvent[] = [];
    const informer = new Informer({ api: client, resource: ConfigMapResource, onEvents: (e) => events.push(...e), backoff: { initialMs: 5, maxMs: 50 } });
    informer.start();
    try {
      await informer.synced;
      await raw(api, 'POST', '/api/v1/namespaces/w/configmaps', cm('late'));
      await waitUntil(() => informer.cache.has('w/late'), { what: 'late in the informer', timeoutMs: 5000 });
      api.closeWatches();
      await raw(api, 'DELETE', '/api/v1/namespaces/w/configmaps/late');
      await waitUntil(() => !informer.cache.has('w/late'), { what: 'the delete after the watch was reopened', timeoutMs: 5000 });
      expect(informer.lists).toBe(1);
    } finally {
      await informer.stop();
    }
  });
});
