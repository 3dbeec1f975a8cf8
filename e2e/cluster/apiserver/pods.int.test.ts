import http from 'node:http';
import { type AddressInfo } from 'node:net';
import net from 'node:net';
import { waitUntil } from '../../harness/wait';
import { type SimulatedApiServer, startSimulatedApiServer } from './index';
import { openWatch, raw } from './testing';

jest.setTimeout(60_000);

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'web:1', ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { port: 8080 } } }], ...extra },
});

/** What a kubelet does to register: a Node, Ready. */
async function registerNode(api: SimulatedApiServer, name: string): Promise<string> {
  const token = api.nodeToken(name);
  const created = await raw(api, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } }, { token });
  expect(created.status).toBe(201);
  const ready = await raw(api, 'PATCH', `/api/v1/nodes/${name}/status`, { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }], addresses: [{ type: 'InternalIP', address: '10.0.0.10' }] } }, { token, contentType: 'application/strategic-merge-patch+json' });
  expect(ready.status).toBe(200);
  return token;
}

describe('pods on the simulated API server, as a kubelet sees them', () => {
  let api: SimulatedApiServer;
  let nodeToken: string;
  beforeAll(async () => {
    api = await startSimulatedApiServer();
    nodeToken = await registerNode(api, 'node-a');
  });
  afterAll(() => api.stop());

  it('defaults and admits a pod (service account, its token volume, tolerations), schedules it, and the node\'s watch gets it', async () => {
    const kubelet = openWatch(api, '/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-a', nodeToken);
    expect(await kubelet.status).toBe(200);
    const created = await raw(api, 'POST', '/api/v1/namespaces/default/pods', pod('web-1'));
    expect(created.status).toBe(201);
    const p = created.json;
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(p.spec).toMatchObject({ serviceAccountName: 'default', serviceAccount: 'default', restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', enableServiceLinks: true, priority: 0 });
    expect(p.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', ports: [{ containerPort: 8080, protocol: 'TCP' }], readinessProbe: { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3, successThreshold: 1 } });
    const volume = (p.spec.volumes as { name: string; projected?: { sources: unknown[] } }[]).find((v) => v.name.startsWith('kube-api-access-'))!;
    expect(volume.projected!.sources).toEqual([
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ]);
    expect(p.spec.containers[0].volumeMounts).toEqual([{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    expect((p.spec.tolerations as { key: string }[]).map((t) => t.key)).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
    await waitUntil(() => kubelet.events.length > 0, { what: 'the bound pod on the node\'s watch', timeoutMs: 5000 });
    kubelet.stop();
    expect(kubelet.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'web-1' }, spec: { nodeName: 'node-a' }, status: { conditions: [{ type: 'PodScheduled', status: 'True' }] } } });
    const rootCa = await raw(api, 'GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt', undefined, { token: nodeToken });
    expect(rootCa.json.data['ca.crt']).toBe(api.caPem);
  });

  it('takes the kubelet\'s status patches ($setElementOrder, conditions by type) and nothing but status on /status', async () => {
    const patch = {
      metadata: { labels: { hacked: 'yes' } },
      status: {
        $setElementOrder: undefined, '$setElementOrder/conditions': [{ type: 'Initialized' }, { type: 'Ready' }, { type: 'PodScheduled' }],
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }], phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }],
      },
    };
    delete (patch.status as Record<string, unknown>).$setElementOrder;
    const res = await raw(api, 'PATCH', '/api/v1/namespaces/default/pods/web-1/status', patch, { token: nodeToken, contentType: 'application/strategic-merge-patch+json' });
    expect(res.status).toBe(200);
    expect((res.json.status.conditions as { type: string }[]).map((c) => c.type)).toEqual(['Initialized', 'Ready', 'PodScheduled']);
    expect(res.json.status).toMatchObject({ phase: 'Running', podIP: '10.244.0.5' });
    expect(res.json.metadata.labels.hacked).toBeUndefined();
  });

  it('deletes a running pod gracefully: deletionTimestamp first, gone when the kubelet confirms with grace 0', async () => {
    const kubelet = openWatch(api, '/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-a', nodeToken);
    await waitUntil(() => kubelet.events.length > 0, { what: 'the pod', timeoutMs: 5000 });
    const del = await raw(api, 'DELETE', '/api/v1/namespaces/default/pods/web-1');
    expect(del.status).toBe(200);
    expect(del.json.metadata).toMatchObject({ deletionTimestamp: expect.any(String), deletionGracePeriodSeconds: 30 });
    expect((await raw(api, 'GET', '/api/v1/namespaces/default/pods/web-1')).status).toBe(200);
    const again = await raw(api, 'DELETE', '/api/v1/namespaces/default/pods/web-1', { gracePeriodSeconds: 10 });
    expect(again.json.metadata.deletionGracePeriodSeconds).toBe(10);
    const wrongUid = await raw(api, 'DELETE', '/api/v1/namespaces/default/pods/web-1', { gracePeriodSeconds: 0, preconditions: { uid: 'not-it' } }, { token: nodeToken });
    expect(wrongUid.status).toBe(409);
    const final = await raw(api, 'DELETE', '/api/v1/namespaces/default/pods/web-1', { gracePeriodSeconds: 0, preconditions: { uid: del.json.metadata.uid } }, { token: nodeToken });
    expect(final.status).toBe(200);
    expect((await raw(api, 'GET', '/api/v1/namespaces/default/pods/web-1')).status).toBe(404);
    await waitUntil(() => kubelet.events.some((e) => e.type === 'DELETED'), { what: 'DELETED', timeoutMs: 5000 });
    kubelet.stop();
    expect(kubelet.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
  });

  it('deletes a pod no node runs at once, and refuses pods whose service account does not exist', async () => {
    const unscheduled = await raw(api, 'POST', '/api/v1/namespaces/default/pods', pod('nowhere', { nodeSelector: { disk: 'ssd' } }));
    expect(unscheduled.status).toBe(201);
    await api.settled();
    const waiting = await raw(api, 'GET', '/api/v1/namespaces/default/pods/nowhere');
    expect(waiting.json.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' })]);
    await raw(api, 'DELETE', '/api/v1/namespaces/default/pods/nowhere');
    expect((await raw(api, 'GET', '/api/v1/namespaces/default/pods/nowhere')).status).toBe(404);
    const noSa = await raw(api, 'POST', '/api/v1/namespaces/default/pods', pod('lost', { serviceAccountName: 'nope' }));
    expect(noSa).toMatchObject({ status: 403, json: { reason: 'Forbidden', message: 'pods "lost" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found' } });
  });

  it('proxies pods/proxy and services/proxy to the pod through the dialer', async () => {
    const app = http.createServer((req, res) => res.end(`hello from ${req.url} (${req.headers['x-test'] ?? ''})`));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as AddressInfo).port;
    const dialed: string[] = [];
    api.hooks.dialer = async ({ host, port }) => {
      dialed.push(`${host}:${port}`);
      return net.connect(appPort, '127.0.0.1');
    };
    try {
      await raw(api, 'POST', '/api/v1/namespaces/default/pods', pod('web-2'));
      await api.settled();
      await raw(api, 'PATCH', '/api/v1/namespaces/default/pods/web-2/status', { status: { phase: 'Running', podIP: '10.244.0.9', conditions: [{ type: 'Ready', status: 'True' }] } }, { token: nodeToken, contentType: 'application/strategic-merge-patch+json' });
      const viaPod = await raw(api, 'GET', '/api/v1/namespaces/default/pods/web-2:8080/proxy/stats?x=1');
      expect(viaPod).toMatchObject({ status: 200, text: 'hello from /stats?x=1 ()' });
      await raw(api, 'POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
      await api.settled();
      const viaService = await raw(api, 'GET', '/api/v1/namespaces/default/services/web:http/proxy/');
      expect(viaService).toMatchObject({ status: 200, text: 'hello from / ()' });
      expect(dialed).toEqual(['10.244.0.9:8080', '10.244.0.9:8080']);
    } finally {
      api.hooks.dialer = ({ host, port }) => Promise.resolve(net.connect(port, host));
      app.close();
    }
  });

  it('empties a namespace being deleted and then removes it', async () => {
    await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'temp' } });
    await api.settled();
    expect((await raw(api, 'GET', '/api/v1/namespaces/temp')).json.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'temp' });
    await raw(api, 'POST', '/api/v1/namespaces/temp/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    await raw(api, 'POST', '/api/v1/namespaces/temp/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const del = await raw(api, 'DELETE', '/api/v1/namespaces/temp');
    expect(del.json.status.phase).toBe('Terminating');
    await api.settled();
    expect(api.store.get('configmaps', 'temp', 'c')).toBeUndefined();
    expect(api.store.get('configmaps', 'temp', 'held')?.metadata.deletionTimestamp).toEqual(expect.any(String));
    const refused = await raw(api, 'POST', '/api/v1/namespaces/temp/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd' } });
    expect(refused).toMatchObject({ status: 403, json: { reason: 'Forbidden', message: 'configmaps is forbidden: unable to create new content in namespace temp because it is being terminated' } });
    expect((await raw(api, 'GET', '/api/v1/namespaces/temp')).status).toBe(200);
    await raw(api, 'PATCH', '/api/v1/namespaces/temp/configmaps/held', { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
    await waitUntil(async () => (await raw(api, 'GET', '/api/v1/namespaces/temp')).status === 404, { what: 'the namespace gone', timeoutMs: 10_000 });
    expect(api.store.list('configmaps', 'temp')).toEqual([]);
  });
});
