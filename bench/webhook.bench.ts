/**
 * Admission webhook throughput and latency: the pure decision + render + diff per pod, then
 * AdmissionReviews over HTTPS on loopback at several concurrencies (keep-alive, as kube-apiserver).
 * Bounded: a fixed number of reviews per row and a time cap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { admitPod } from '../webhook/src/core/admission';
import { InMemoryNamespaceLookup } from '../webhook/src/namespace-lookup';
import { startWebhookServer } from '../webhook/src/server';
import { makeServingCert, testConfig } from '../webhook/src/testing';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'cart-', labels: { app: 'cart' } },
  spec: {
    containers: [
      { name: 'cart', image: 'cart:1', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/ready', port: 'http' } } },
    ],
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function run(): Promise<void> {
  const config = testConfig({ clusterVersion: '1.30' });
  const ns = { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } };
  const n = 5000;
  let start = performance.now();
  for (let i = 0; i < n; i++) admitPod(`u${i}`, pod, ns, config);
  const pureMs = performance.now() - start;
  console.log(`pure admitPod (decide + render + diff): ${Math.round(n / (pureMs / 1000))} pods/s, ${((pureMs * 1000) / n).toFixed(1)} µs/pod`);

  const dir = mkdtempSync(join(tmpdir(), 'skein-webhook-bench-'));
  const cert = makeServingCert(dir, 'bench');
  const webhook = await startWebhookServer({
    config,
    namespaces: new InMemoryNamespaceLookup({ shop: ns.labels }),
    tls: cert,
    host: '127.0.0.1',
    port: 0,
  });
  try {
    console.log('| concurrency | reviews | reviews/s | p50 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|---|');
    for (const concurrency of [1, 16, 64, 200]) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: cert.certPem });
      const total = 2000;
      const latencies: number[] = [];
      let next = 0;
      const deadline = performance.now() + 30_000;
      const body = (i: number) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `u${i}`, kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'shop', operation: 'CREATE', object: pod } });
      const one = (i: number) =>
        new Promise<void>((resolve, reject) => {
          const t0 = performance.now();
          const payload = body(i);
          const req = request({ host: '127.0.0.1', port: webhook.port, path: '/inject', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
              latencies.push(performance.now() - t0);
              resolve();
            });
          });
          req.on('error', reject);
          req.end(payload);
        });
      start = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total && performance.now() < deadline) await one(next++);
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      agent.destroy();
      latencies.sort((a, b) => a - b);
      console.log(`| ${concurrency} | ${latencies.length} | ${Math.round(latencies.length / seconds)} | ${percentile(latencies, 50).toFixed(2)} | ${percentile(latencies, 99).toFixed(2)} | ${latencies[latencies.length - 1]!.toFixed(2)} |`);
    }
  } finally {
    await webhook.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
