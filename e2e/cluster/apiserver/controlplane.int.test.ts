// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through; SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import * as k8s from '@kubernetes/client-node';
import { KubeRestClient } from '../../../operator/src/kube/rest';
import { type RunningKubeControlPlane, startKubeControlPlane } from '../../../operator/src/kube/start';
import { defaultInjectionConfig, parseInjectionConfig } from '../../../webhook/src/core/config';
import { webhookApp } from '../../../webhook/src/server';
import { waitUntil } from '../../harness/wait';
import { type SimulatedApiServer, startSimulatedApiServer } from './index';
import { applyAll, installManifests, raw } from './testing';

jest.setTimeout(60_000);

/**
 * The control plane's own Kubernetes code against the simulated API server, authenticated as its
 * service account with a pod-bound token and held to install.yaml's RBAC: whatever it needs and the
 * install does not grant shows up here as a 403.
 */
describe('the control plane against the simulated API server, as its service account', () => {
  let api: SimulatedApiServer;
  let cp: RunningKubeControlPlane | undefined;
  const forbidden: string[] = [];

  beforeAll(async () => {
    api = await startSimulatedApiServer();
    await applyAll(api, installManifests().filter((o) => o.kind !== 'Deployment'));
    await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } } });
    await api.settled();
    await raw(api, 'POST', '/apis/networking.skein.dev/v1alpha1/namespaces/shop/virtualservices', {
      apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name: 'reviews' }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] },
    });
  });
  afterAll(async () => {
    await cp?.stop();
    await api.stop();
  });

  it('bootstraps the CA, publishes the trust bundle, patches the caBundle and writes CR status, with no request refused', async () => {
    const pod = await raw(api, 'POST', '/api/v1/namespaces/skein-system/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'skein-controlplane-0', labels: { app: 'skein-controlplane' } }, spec: { serviceAccountName: 'skein-controlplane', containers: [{ name: 'controlplane', image: 'skein:test' }] } });
    const token = (await raw(api, 'POST', '/api/v1/namespaces/skein-system/serviceaccounts/skein-controlplane/token', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'skein-controlplane-0', uid: pod.json.metadata.uid } },
    })).json.status.token as string;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: api.url, caData: Buffer.from(api.caPem).toString('base64') }], users: [{ name: 'sa', token }], contexts: [{ name: 'x', cluster: 'c', user: 'sa' }], currentContext: 'x' });
    const client = new KubeRestClient(kc);
    const recording = new Proxy(client, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((err: Error & { status?: number }) => {
          if (err.status === 403) forbidden.push(err.message);
          throw err;
        });
      },
    });
    cp = await startKubeControlPlane({
      api: recording, identity: 'skein-controlplane-0', namespace: 'skein-system',
      settings: { trustDomain: 'cluster.local', clusterDomain: 'cluster.local', rootNamespace: 'skein-system' },
      xdsHost: '127.0.0.1', xdsPort: 0, monitorHost: '127.0.0.1', monitorPort: 0, webhookHost: '127.0.0.1', webhookPort: 0,
      // As cli/src/commands.ts wires it: the webhook handler with the cluster's version.
      webhookHandler: (namespaces, cluster) => webhookApp({ namespaces, config: parseInjectionConfig({ ...(cluster.version ? { clusterVersion: cluster.version } : {}) }, defaultInjectionConfig('0.0.0-test')) }),
      webhookConfigurationName: 'skein-sidecar-injector', lease: { durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 200 },
    });
    await waitUntil(() => cp!.elector.isLeader(), { what: 'leadership', timeoutMs: 20_000 });
    await waitUntil(() => api.store.get('configmaps', 'shop', 'skein-root-cert') !== undefined, { what: 'skein-root-cert in shop', timeoutMs: 20_000 });
    await waitUntil(() => Boolean((api.store.get('admissionregistration.k8s.io/mutatingwebhookconfigurations', undefined, 'skein-sidecar-injector')!.webhooks as { clientConfig: { caBundle?: string } }[])[0]!.clientConfig.caBundle), { what: 'caBundle', timeoutMs: 20_000 });
    await waitUntil(() => api.store.get('networking.skein.dev/virtualservices', 'shop', 'reviews')!.status !== undefined, { what: 'VirtualService status', timeoutMs: 20_000 });
    const vs = api.store.get('networking.skein.dev/virtualservices', 'shop', 'reviews')!;
    expect((vs.status as { conditions: { type: string; status: string; observedGeneration?: number }[] }).conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Accepted', status: 'True' })]));
    expect(api.store.get('secrets', 'skein-system', 'skein-ca')).toBeDefined();
    expect(api.store.get('coordination.k8s.io/leases', 'skein-system', 'skein-controlplane')!.spec).toMatchObject({ holderIdentity: 'skein-controlplane-0' });
    expect(forbidden).toEqual([]);
  });
});
