/**
 * The Kubernetes source on a loopback API double: initial sync time of N pods (list → informer
 * cache → ControlPlane index), the size of the slimmed pod cache against the pods as served, and
 * watch-event throughput until the index saw every change. Bounded: fixed sizes, a time cap on each wait.
 */
import { performance } from 'node:perf_hooks';
import { ControlPlane } from '../operator/src/controlplane';
import { KubeSource } from '../operator/src/kube/kube-source';
import { KubeRestClient, kubeConfigFor } from '../operator/src/kube/rest';
import { FakeApiServer } from '../operator/src/kube/testing/fake-apiserver';
import { waitFor } from '../operator/src/kube/testing/wait-for';

const pod = (i: number, ip: string) => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: `web-${i}`, namespace: `ns-${i % 50}`, labels: { app: `web-${i % 200}` }, annotations: { 'skein.dev/status': '{"proxy":"skein-proxy"}' } },
  spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'web:1', ports: [{ containerPort: 8080 }], env: Array.from({ length: 10 }, (_, j) => ({ name: `E${j}`, value: 'x'.repeat(40) })) }] },
  status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

const ip = (i: number, salt = 0) => `10.${salt}.${(i >> 8) & 255}.${i & 255}`;

export async function run(): Promise<void> {
  console.log('| pods | initial sync ms | pod cache (JSON) KB, slim / as served | pod updates | updates/s (watch → index) |');
  console.log('|---|---|---|---|---|');
  for (const n of [1000, 5000, 20000]) {
    const api = new FakeApiServer();
    const client = new KubeRestClient(kubeConfigFor(await api.start()));
    for (let i = 0; i < n; i++) api.put('v1/pods', pod(i, ip(i)));
    const cp = new ControlPlane({ debounce: { quietMs: 50, maxMs: 500 } });
    const source = new KubeSource({ api: client, listener: cp });
    try {
      let start = performance.now();
      await source.start();
      const syncMs = performance.now() - start;
      const cached = [...source.informer('Pod').cache.values()];
      const slimKb = JSON.stringify(cached).length / 1024;
      const fullKb = JSON.stringify(cached.map((o) => api.get('v1/pods', o.metadata.namespace, o.metadata.name))).length / 1024;
      await waitFor(() => api.openWatches('v1/pods') === 1, 'the pod watch', 30_000);
      const updates = Math.min(n, 5000);
      const revision = cp.index.revision;
      start = performance.now();
      for (let i = 0; i < updates; i++) api.put('v1/pods', pod(i, ip(i, 1)));
      await waitFor(() => cp.index.revision - revision >= updates, 'every update in the index', 120_000);
      const rate = updates / ((performance.now() - start) / 1000);
      console.log(`| ${n} | ${syncMs.toFixed(0)} | ${slimKb.toFixed(0)} / ${fullKb.toFixed(0)} | ${updates} | ${rate.toFixed(0)} |`);
    } finally {
      await source.stop();
      cp.stop();
      await api.close();
    }
  }
}
