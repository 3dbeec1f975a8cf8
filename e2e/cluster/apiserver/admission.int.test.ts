// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through; SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import http from 'node:http';
import { createServer, type Server } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { KubeRestClient } from '../../../operator/src/kube/rest';
import { syncWebhookCaBundle } from '../../../operator/src/kube/webhook-ca-bundle';
import { webhookApp } from '../../../webhook/src/server';
import { testConfig } from '../../../webhook/src/testing';
import { createCertificateAuthority, issueCertificate, type KubeObject, type SimulatedApiServer, startSimulatedApiServer } from './index';
import { applyAll, installManifests, patchResponse, raw, startTestWebhook, type TestWebhook } from './testing';

jest.setTimeout(60_000);

const webhookPodIP = '10.244.9.9';
const pod = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'web:1', ports: [{ containerPort: 8080 }] }] } });
const containerNames = (p: { spec: { containers: { name: string }[]; initContainers?: { name: string }[] } }) => [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c) => c.name);

describe('mutating admission as registered by install.yaml, with the skein webhook behind its Service', () => {
  let api: SimulatedApiServer;
  let skein: Server;
  let inner: http.Server;
  let skeinPort: number;
  const reviewed: { namespace: string; name: string; generateName?: string; serviceAccountName?: string; volumes: string[] }[] = [];
  let caBundlePem: string;
  let kubeApi: KubeRestClient;

  beforeAll(async () => {
    api = await startSimulatedApiServer();
    await applyAll(api, installManifests().filter((o) => o.kind !== 'Deployment'));
    for (const [name, labels] of [['mesh', { 'skein.dev/inject': 'enabled' }], ['plain', {}]] as const) {
      await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    }
    await raw(api, 'PATCH', '/api/v1/namespaces/kube-system', { metadata: { labels: { 'skein.dev/inject': 'enabled' } } }, { contentType: 'application/merge-patch+json' });

    // The skein webhook handler, serving a certificate from the mesh CA for the Service's DNS name.
    const ca = await createCertificateAuthority('skein-test-root');
    caBundlePem = ca.certPem;
    const cert = await issueCertificate(ca, ['skein-controlplane.skein-system.svc', 'skein-controlplane.skein-system.svc.cluster.local']);
    const app = webhookApp({ config: testConfig({ clusterVersion: 'v1.33.1' }), namespaces: { labels: async (ns) => api.store.get('namespaces', undefined, ns)?.metadata.labels } });
    // The handler behind TLS, with each review recorded on the way in.
    inner = http.createServer(app);
    await new Promise<void>((r) => inner.listen(0, '127.0.0.1', r));
    const innerPort = (inner.address() as AddressInfo).port;
    skein = createServer({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const review = JSON.parse(body.toString('utf8')) as { request: { namespace: string; object: { metadata: { name?: string; generateName?: string }; spec: { serviceAccountName?: string; volumes?: { name: string }[] } } } };
        const o = review.request.object;
        reviewed.push({ namespace: review.request.namespace, name: o.metadata.name ?? '', ...(o.metadata.generateName ? { generateName: o.metadata.generateName } : {}), ...(o.spec.serviceAccountName ? { serviceAccountName: o.spec.serviceAccountName } : {}), volumes: (o.spec.volumes ?? []).map((v) => v.name.replace(/-[a-z0-9]{5}$/, '')) });
        const forward = http.request({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (answer) => {
          res.writeHead(answer.statusCode ?? 500, { 'content-type': 'application/json' });
          answer.pipe(res);
        });
        forward.end(body);
      });
    });
    await new Promise<void>((r) => skein.listen(0, '127.0.0.1', r));
    skeinPort = (skein.address() as AddressInfo).port;
    // Only the webhook pod's address is reachable, as only the node can reach pod IPs.
    api.hooks.dialer = async ({ host, port }) => {
      if (host === webhookPodIP && port === 15017) return net.connect(skeinPort, '127.0.0.1');
      if (host === '127.0.0.1') return net.connect(port, host);
      const err = Object.assign(new Error(`connect ECONNREFUSED ${host}:${port}`), { code: 'ECONNREFUSED' });
      throw err;
    };
    // The webhook pod: selected by the Service, Ready with an IP; the EndpointSlice controller does the rest.
    await raw(api, 'POST', '/api/v1/namespaces/skein-system/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'skein-controlplane-0', labels: { app: 'skein-controlplane' } }, spec: { serviceAccountName: 'skein-controlplane', containers: [{ name: 'controlplane', image: 'skein:test', ports: [{ containerPort: 15017, name: 'https-webhook' }] }] } });
    await setWebhookPodReady(true);
    // The control plane's own code patches the caBundle in.
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    kubeApi = new KubeRestClient(kc);
    await syncWebhookCaBundle(kubeApi, 'skein-sidecar-injector', caBundlePem);
    await api.settled();
  });
  afterAll(async () => {
    skein.closeAllConnections();
    skein.close();
    inner.close();
    await api.stop();
  });

  async function setWebhookPodReady(ready: boolean): Promise<void> {
    await raw(api, 'PATCH', '/api/v1/namespaces/skein-system/pods/skein-controlplane-0/status', { status: { phase: 'Running', podIP: webhookPodIP, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, { contentType: 'application/strategic-merge-patch+json' });
    await api.settled();
  }

  it('injects a pod of a labelled namespace: the webhook gets it after the built-in defaulting, the JSONPatch lands in the stored pod', async () => {
    const created = await raw(api, 'POST', '/api/v1/namespaces/mesh/pods', pod('web-1'));
    expect(created.status).toBe(201);
    expect(containerNames(created.json)).toEqual(['skein-init', 'skein-proxy', 'app']);
    expect(created.json.metadata.annotations['skein.dev/status']).toEqual(expect.any(String));
    expect(api.store.get('pods', 'mesh', 'web-1')!.spec).toEqual(created.json.spec);
    expect(reviewed.at(-1)).toEqual({ namespace: 'mesh', name: 'web-1', serviceAccountName: 'default', volumes: ['kube-api-access'] });
  });

  it('injects the pods a Deployment makes (the webhook sees them without a name, as generateName)', async () => {
    await raw(api, 'POST', '/apis/apps/v1/namespaces/mesh/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ratings' }, spec: { replicas: 1, selector: { matchLabels: { app: 'ratings' } }, template: { metadata: { labels: { app: 'ratings' } }, spec: { containers: [{ name: 'app', image: 'ratings:1' }] } } } });
    await api.settled();
    const [p] = api.store.list('pods', 'mesh').filter((x) => x.metadata.labels?.app === 'ratings');
    expect(containerNames(p as never)).toEqual(['skein-init', 'skein-proxy', 'app']);
    expect(reviewed.at(-1)).toMatchObject({ namespace: 'mesh', name: '', generateName: expect.stringMatching(/^ratings-[a-z0-9]+-$/) });
  });

  it('sends only what the selectors match: object opt-in and opt-out, never kube-system or skein-system', async () => {
    const before = reviewed.length;
    expect(containerNames((await raw(api, 'POST', '/api/v1/namespaces/plain/pods', pod('plain-1'))).json)).toEqual(['app']);
    expect(containerNames((await raw(api, 'POST', '/api/v1/namespaces/mesh/pods', pod('out-1', { 'skein.dev/inject': 'false' }))).json)).toEqual(['app']);
    expect(containerNames((await raw(api, 'POST', '/api/v1/namespaces/kube-system/pods', pod('sys-1'))).json)).toEqual(['app']);
    expect(containerNames((await raw(api, 'POST', '/api/v1/namespaces/skein-system/pods', pod('sys-2', { 'skein.dev/inject': 'true' }))).json)).toEqual(['app']);
    expect(reviewed.length).toBe(before); // none of those was sent
    expect(containerNames((await raw(api, 'POST', '/api/v1/namespaces/plain/pods', pod('in-1', { 'skein.dev/inject': 'true' }))).json)).toEqual(['skein-init', 'skein-proxy', 'app']);
    expect(reviewed.at(-1)).toMatchObject({ namespace: 'plain', name: 'in-1' });
  });

  it('refuses pod creation with the API server\'s message when the caBundle does not verify the webhook (failurePolicy Fail)', async () => {
    const other = await createCertificateAuthority('not-the-mesh-ca');
    await syncWebhookCaBundle(kubeApi, 'skein-sidecar-injector', other.certPem);
    try {
      const refused = await raw(api, 'POST', '/api/v1/namespaces/mesh/pods', pod('web-2'));
      expect(refused.status).toBe(500);
      expect(refused.json).toMatchObject({
        kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500,
        message: 'Internal error occurred: failed calling webhook "namespace.inject.skein.dev": failed to call webhook: Post "https://skein-controlplane.skein-system.svc:443/inject?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      });
      expect(refused.json.details.causes[0].message).toMatch(/^failed calling webhook "namespace.inject.skein.dev": /);
      expect(api.store.get('pods', 'mesh', 'web-2')).toBeUndefined();
    } finally {
      await syncWebhookCaBundle(kubeApi, 'skein-sidecar-injector', caBundlePem);
    }
  });

  it('refuses pods while the webhook has no ready endpoint, and admits them uninjected with failurePolicy Ignore', async () => {
    await setWebhookPodReady(false);
    try {
      const refused = await raw(api, 'POST', '/api/v1/namespaces/mesh/pods', pod('web-3'));
      expect(refused.json.message).toBe('Internal error occurred: failed calling webhook "namespace.inject.skein.dev": failed to call webhook: Post "https://skein-controlplane.skein-system.svc:443/inject?timeout=10s": no endpoints available for service "skein-controlplane"');
      await raw(api, 'PATCH', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/skein-sidecar-injector', [{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Ignore' }], { contentType: 'application/json-patch+json' });
      const admitted = await raw(api, 'POST', '/api/v1/namespaces/mesh/pods', pod('web-3'));
      expect(admitted.status).toBe(201);
      expect(containerNames(admitted.json)).toEqual(['app']);
    } finally {
      await raw(api, 'PATCH', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/skein-sidecar-injector', [{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Fail' }], { contentType: 'application/json-patch+json' });
      await setWebhookPodReady(true);
    }
  });
});

describe('webhook mechanics: timeouts, denials, reinvocation, bad answers', () => {
  let api: SimulatedApiServer;
  let hook: TestWebhook;
  let caBundle: string;
  const answers = new Map<string, (review: { request: { object: KubeObject } }) => Record<string, unknown> | 'hang'>();

  beforeAll(async () => {
    api = await startSimulatedApiServer();
    const ca = await createCertificateAuthority('test-hooks');
    caBundle = Buffer.from(ca.certPem).toString('base64');
    hook = await startTestWebhook(await issueCertificate(ca, ['127.0.0.1', 'localhost']), (path, review) => (answers.get(path) ?? (() => ({})))(review));
    await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hooks' } });
    await api.settled();
  });
  afterAll(async () => {
    await hook.close();
    await api.stop();
  });

  async function register(name: string, webhooks: { name: string; path: string; reinvocationPolicy?: string; timeoutSeconds?: number; failurePolicy?: string }[]) {
    const res = await raw(api, 'POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name },
      webhooks: webhooks.map((w) => ({
        name: w.name, admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: `${hook.url}${w.path}`, caBundle },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        objectSelector: { matchLabels: { test: name } },
        ...(w.reinvocationPolicy ? { reinvocationPolicy: w.reinvocationPolicy } : {}), ...(w.timeoutSeconds ? { timeoutSeconds: w.timeoutSeconds } : {}), ...(w.failurePolicy ? { failurePolicy: w.failurePolicy } : {}),
      })),
    });
    expect(res.status).toBe(201);
    expect(res.json.webhooks[0]).toMatchObject({ matchPolicy: 'Equivalent', namespaceSelector: {}, rules: [{ scope: '*' }] });
  }

  it('calls an IfNeeded webhook again when a later one changed the object, once', async () => {
    answers.set('/first', (r) => patchResponse([{ op: 'add', path: `/metadata/annotations`, value: { ...(r.request.object.metadata.annotations ?? {}), [`first-${Object.keys(r.request.object.metadata.annotations ?? {}).length}`]: 'seen' } }]));
    answers.set('/second', (r) => (r.request.object.metadata.labels?.second ? {} : patchResponse([{ op: 'add', path: '/metadata/labels/second', value: 'done' }])));
    await register('reinvoke', [{ name: 'first.example.com', path: '/first', reinvocationPolicy: 'IfNeeded' }, { name: 'second.example.com', path: '/second', reinvocationPolicy: 'IfNeeded' }]);
    const start = hook.calls.length;
    const created = await raw(api, 'POST', '/api/v1/namespaces/hooks/pods', pod('p1', { test: 'reinvoke' }));
    expect(created.status).toBe(201);
    expect(hook.calls.slice(start)).toEqual(['/first', '/second', '/first']);
    expect(created.json.metadata.annotations).toEqual({ 'first-0': 'seen', 'first-1': 'seen' });
    expect(created.json.metadata.labels).toEqual({ test: 'reinvoke', second: 'done' });
  });

  it('refuses with the webhook\'s own message when it denies', async () => {
    answers.set('/deny', () => ({ allowed: false, status: { code: 403, reason: 'Forbidden', message: 'pods need an owner label' } }));
    await register('deny', [{ name: 'deny.example.com', path: '/deny' }]);
    const refused = await raw(api, 'POST', '/api/v1/namespaces/hooks/pods', pod('p2', { test: 'deny' }));
    expect(refused).toMatchObject({ status: 403, json: { kind: 'Status', status: 'Failure', code: 403, reason: 'Forbidden', message: 'admission webhook "deny.example.com" denied the request: pods need an owner label' } });
  });

  it('gives up after timeoutSeconds: Fail refuses with context deadline exceeded, Ignore admits', async () => {
    answers.set('/slow', () => 'hang');
    await register('slow', [{ name: 'slow.example.com', path: '/slow', timeoutSeconds: 1 }]);
    const refused = await raw(api, 'POST', '/api/v1/namespaces/hooks/pods', pod('p3', { test: 'slow' }));
    expect(refused.json.message).toBe(`Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "${hook.url}/slow?timeout=1s": context deadline exceeded`);
    await register('slow-ignored', [{ name: 'slow-ignored.example.com', path: '/slow', timeoutSeconds: 1, failurePolicy: 'Ignore' }]);
    expect((await raw(api, 'POST', '/api/v1/namespaces/hooks/pods', pod('p4', { test: 'slow-ignored' }))).status).toBe(201);
  });

  it('treats a malformed answer as a failed call', async () => {
    answers.set('/wrong-uid', () => ({ uid: 'someone-else' }));
    await register('wrong-uid', [{ name: 'wrong-uid.example.com', path: '/wrong-uid' }]);
    const refused = await raw(api, 'POST', '/api/v1/namespaces/hooks/pods', pod('p5', { test: 'wrong-uid' }));
    expect(refused.json.message).toMatch(/^Internal error occurred: failed calling webhook "wrong-uid.example.com": received invalid webhook response: expected response.uid="[0-9a-f-]+", got "someone-else"$/);
  });
});
