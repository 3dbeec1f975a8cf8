// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through (lead: add it); SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { type TLSSocket } from 'node:tls';
import { initCaDir } from '../../../ca/src/store/ca-dir';
import { KubeRestClient, kubeConfigFor } from './rest';
import { type RunningKubeControlPlane, startKubeControlPlane } from './start';
import { FakeApiServer } from './testing/fake-apiserver';
import { waitFor } from './testing/wait-for';

const webhookConfigs = 'admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => http.get(url, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject));
}

/** Calls the webhook as the API server would: verifying the serving certificate for the Service DNS name against caBundle. */
function callWebhook(port: number, caBundleB64: string): Promise<{ body: string; peerNames: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/labels?ns=shop', servername: 'skein-controlplane.skein-system.svc',
      ca: Buffer.from(caBundleB64, 'base64').toString('utf8'), minVersion: 'TLSv1.2',
    }, (res) => {
      let body = '';
      const peerNames = (res.socket as TLSSocket).getPeerCertificate().subjectaltname ?? '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ body, peerNames }));
    });
    req.on('error', reject);
    req.end();
  });
}

jest.setTimeout(30_000); // key generation and several leader-election rounds on a loaded 2-core machine

describe('startKubeControlPlane against the API double', () => {
  let api: FakeApiServer;
  let url: string;
  const running: RunningKubeControlPlane[] = [];

  beforeEach(async () => {
    api = new FakeApiServer();
    url = await api.start();
    api.put('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } } });
    api.put('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } });
    api.put(webhookConfigs, {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'skein-sidecar-injector' },
      webhooks: [{ name: 'namespace.inject.skein.dev', clientConfig: { service: { name: 'skein-controlplane', namespace: 'skein-system' } } }],
    });
    api.put('networking.skein.dev/v1alpha1/virtualservices', {
      apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'shop' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] },
    });
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await api.close();
  });

  const seenVersions: (string | undefined)[] = [];

  async function replica(identity: string) {
    const r = await startKubeControlPlane({
      api: new KubeRestClient(kubeConfigFor(url)), identity,
      settings: { trustDomain: 'cluster.local', clusterDomain: 'cluster.local', rootNamespace: 'skein-system' },
      xdsHost: '127.0.0.1', xdsPort: 0, monitorHost: '127.0.0.1', monitorPort: 0, webhookHost: '127.0.0.1', webhookPort: 0,
      lease: { durationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 50 },
      webhookHandler: (namespaces, cluster) => (seenVersions.push(cluster.version), (req, res) => {
        const ns = new URL(req.url ?? '/', 'http://x').searchParams.get('ns') ?? '';
        namespaces.labels(ns).then((labels) => res.end(JSON.stringify(labels ?? null)), () => res.end('error'));
      }),
    });
    running.push(r);
    return r;
  }

  it('the leader bootstraps the CA, publishes the trust bundle, patches caBundle and writes CRD status; it serves once synced', async () => {
    const a = await replica('pod-a');
    await waitFor(() => a.elector.isLeader(), 'leadership');
    await waitFor(async () => (await get(`http://127.0.0.1:${a.monitorPort}/readyz`)) === 200, '/readyz');
    const secret = api.get('v1/secrets', 'skein-system', 'skein-ca')!;
    expect(Object.keys(secret.data as object).sort()).toEqual(['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem']);
    const rootPem = Buffer.from((secret.data as Record<string, string>)['root-cert.pem']!, 'base64').toString('utf8');

    await waitFor(() => api.get('v1/configmaps', 'shop', 'skein-root-cert') !== undefined, 'skein-root-cert in shop');
    expect((api.get('v1/configmaps', 'shop', 'skein-root-cert')!.data as Record<string, string>)['root-cert.pem']).toBe(rootPem);
    expect(api.get('v1/configmaps', 'plain', 'skein-root-cert')).toBeUndefined();

    await waitFor(() => (api.get(webhookConfigs, undefined, 'skein-sidecar-injector')!.webhooks as { clientConfig: { caBundle?: string } }[])[0]!.clientConfig.caBundle !== undefined, 'caBundle');
    const caBundle = (api.get(webhookConfigs, undefined, 'skein-sidecar-injector')!.webhooks as { clientConfig: { caBundle: string } }[])[0]!.clientConfig.caBundle;
    expect(Buffer.from(caBundle, 'base64').toString('utf8')).toBe(rootPem);

    // The webhook: TLS verified against caBundle for the Service name; namespace labels from the informer.
    const answer = await callWebhook(a.webhook!.port, caBundle);
    expect(answer.body).toBe(JSON.stringify({ 'skein.dev/inject': 'enabled' }));
    expect(answer.peerNames).toContain('DNS:skein-controlplane.skein-system.svc');

    // Rotation swaps the served certificate without a restart.
    const before = a.webhook!.current().chainPem;
    await a.webhook!.rotate();
    expect(a.webhook!.current().chainPem).not.toBe(before);
    expect((await callWebhook(a.webhook!.port, caBundle)).body).toBe(JSON.stringify({ 'skein.dev/inject': 'enabled' }));

    await waitFor(() => api.get('networking.skein.dev/v1alpha1/virtualservices', 'shop', 'r')!.status !== undefined, 'CRD status');
    // Built once without the version (a bad injection config fails the start before anything
    // listens), then for the cluster's version (native sidecars).
    expect(seenVersions).toEqual([undefined, 'v1.31.2']);

    // A namespace labelled later gets the bundle too.
    api.put('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain', labels: { 'skein.dev/inject': 'enabled' } } });
    await waitFor(() => api.get('v1/configmaps', 'plain', 'skein-root-cert') !== undefined, 'skein-root-cert in plain');
  });

  it('serves the webhook before the cluster version can be read, and rebuilds it for the version once it can', async () => {
    seenVersions.length = 0;
    api.failNext('GET', /^\/version$/, 503, 2, 'ServiceUnavailable');
    await replica('pod-a');
    await waitFor(() => seenVersions.includes('v1.31.2'), 'the handler for the cluster version', 10_000);
    expect(seenVersions).toEqual([undefined, undefined, 'v1.31.2']);
  });

  it('a second replica uses the same CA and takes over the singleton work when the leader shuts down', async () => {
    const a = await replica('pod-a');
    await waitFor(() => a.elector.isLeader(), 'pod-a leading');
    const b = await replica('pod-b');
    expect(b.elector.isLeader()).toBe(false);
    expect(api.writes(/\/secrets$/)).toHaveLength(1); // only the leader created the CA Secret
    await running.shift()!.stop();
    await waitFor(() => b.elector.isLeader(), 'pod-b leading after the release', 3000);
    api.remove('v1/configmaps', 'shop', 'skein-root-cert');
    api.put('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled', touched: 'yes' } } });
    await waitFor(() => api.get('v1/configmaps', 'shop', 'skein-root-cert') !== undefined, 'pod-b republishing');
  });

  it('uses the user\'s cacerts Secret when present and never creates skein-ca', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-cacerts-'));
    try {
      await initCaDir(dir);
      const data = Object.fromEntries(['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem'].map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
      api.put('v1/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: 'skein-system' }, data });
      const a = await replica('pod-a');
      await waitFor(() => api.get('v1/configmaps', 'shop', 'skein-root-cert') !== undefined, 'skein-root-cert');
      expect((api.get('v1/configmaps', 'shop', 'skein-root-cert')!.data as Record<string, string>)['root-cert.pem']).toBe(fs.readFileSync(path.join(dir, 'root-cert.pem'), 'utf8'));
      expect(api.get('v1/secrets', 'skein-system', 'skein-ca')).toBeUndefined();
      expect(a.xdsPort).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
