/**
 * The simulated API server (e2e/cluster/apiserver): cold start (CA, bootstrap objects,
 * controllers), pod creates over HTTPS without and with a mutating webhook (latency percentiles,
 * creates/s), a Deployment of N replicas until its pods exist, watch fan-out, and the heap per
 * stored pod. Bounded: fixed counts, a time cap on each wait.
 */
import { performance } from 'node:perf_hooks';
import { createCertificateAuthority, issueCertificate, type SimulatedApiServer, startSimulatedApiServer } from '../e2e/cluster/apiserver/index';
import { openWatch, patchResponse, raw, startTestWebhook } from '../e2e/cluster/apiserver/testing';
import { waitFor } from '../operator/src/kube/testing/wait-for';

const pod = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'web:1' }] } });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function creates(api: SimulatedApiServer, ns: string, n: number, labels: Record<string, string> = {}): Promise<string> {
  const ms: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await raw(api, 'POST', `/api/v1/namespaces/${ns}/pods`, pod(`p-${i}`, labels));
    if (res.status !== 201) throw new Error(res.text);
    ms.push(performance.now() - t);
  }
  const rate = n / ((performance.now() - start) / 1000);
  ms.sort((a, b) => a - b);
  return `${percentile(ms, 50).toFixed(2)} | ${percentile(ms, 99).toFixed(2)} | ${rate.toFixed(0)}`;
}

export async function run(): Promise<void> {
  let t = performance.now();
  const api = await startSimulatedApiServer();
  const startMs = performance.now() - t;
  try {
    for (const ns of ['plain', 'hooked']) await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.settled();
    console.log(`cold start (CA, serving cert, bootstrap objects, controllers): ${startMs.toFixed(0)} ms`);
    console.log('| pod creates over HTTPS | p50 ms | p99 ms | creates/s |');
    console.log('|---|---|---|---|');
    console.log(`| 500, no webhook | ${await creates(api, 'plain', 500)} |`);
    const ca = await createCertificateAuthority('bench');
    const hook = await startTestWebhook(await issueCertificate(ca, ['127.0.0.1']), () => patchResponse([{ op: 'add', path: '/metadata/annotations', value: { injected: 'yes' } }]));
    await raw(api, 'POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'bench' },
      webhooks: [{ name: 'bench.example.com', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: `${hook.url}/m`, caBundle: Buffer.from(ca.certPem).toString('base64') }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'hooked' } } }],
    });
    console.log(`| 500, one mutating webhook (TLS, JSONPatch) | ${await creates(api, 'hooked', 500)} |`);
    await hook.close();

    const replicas = 200;
    t = performance.now();
    await raw(api, 'POST', '/apis/apps/v1/namespaces/plain/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big' }, spec: { replicas, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'app', image: 'web:1' }] } } } });
    await waitFor(() => api.store.list('pods', 'plain').filter((p) => p.metadata.labels?.app === 'big').length === replicas, 'the deployment\'s pods', 120_000);
    console.log(`Deployment of ${replicas} replicas → ${replicas} pods (controllers in process): ${(performance.now() - t).toFixed(0)} ms`);

    const watchers = Array.from({ length: 20 }, () => openWatch(api, '/api/v1/namespaces/plain/configmaps?watch=true&resourceVersion=' + api.store.resourceVersion));
    await waitFor(() => api.core.frontend.openWatches('configmaps') === 20, 'the watches', 10_000);
    t = performance.now();
    const changes = 500;
    for (let i = 0; i < changes; i++) await api.client.create({ group: '', version: 'v1', plural: 'configmaps' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c-${i}`, namespace: 'plain' }, data: { i: String(i) } });
    await waitFor(() => watchers.every((w) => w.events.length === changes), 'every event on every watch', 60_000);
    const seconds = (performance.now() - t) / 1000;
    console.log(`watch fan-out: ${changes} creates × 20 watches = ${changes * 20} events in ${(seconds * 1000).toFixed(0)} ms (${((changes * 20) / seconds).toFixed(0)} events/s)`);
    for (const w of watchers) w.stop();

    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const extra = 2000;
    for (let i = 0; i < extra; i++) await api.client.create({ group: '', version: 'v1', plural: 'pods' }, { ...pod(`m-${i}`), metadata: { name: `m-${i}`, namespace: 'plain' } });
    await api.settled();
    global.gc?.();
    const perPod = (process.memoryUsage().heapUsed - before) / extra;
    console.log(`heap per stored pod (object + watch history): ${(perPod / 1024).toFixed(1)} KiB${global.gc ? '' : ' (run node with --expose-gc for a steadier figure)'}`);
  } finally {
    await api.stop();
  }
}
