/**
 * Resilience journeys on a real local mesh: retries hide a flaky endpoint, outlier detection ejects
 * a failing one. Retries and outlier detection are carried in the proxy's config but enforced by
 * the resilience work landing in parallel (docs/proxy.md: "carried and dumped but not enforced
 * yet"); until then these tests fail, on purpose, and the lead knows which ones.
 */
import { describeSystem } from '../support/system';
import { useMesh, type Pod } from '../harness';
import { destinationRule, virtualService, yamlDocs } from './policies';
import { addSidecar, adminJson, changeConfig, startMeshWorld, type MeshWorld } from './support';

const tools = ['ip', 'iptables', 'setpriv', 'bash'];

const subsets = destinationRule('flaky', '  subsets: [{ name: v1, labels: { version: v1 } }]');

describeSystem('mesh journeys: resilience (retries, outlier detection)', () => {
  let world: MeshWorld;
  let client: Pod;
  let flaky: Pod;
  let healthy: Pod;
  let broken: Pod;

  const mesh = useMesh({
    setupTimeoutMs: 120_000,
    testTimeoutMs: 60_000,
    setup: async (m) => {
      client = await m.addPod({ name: 'client', labels: { app: 'client' }, serviceAccount: 'client' });
      flaky = await m.addPod({ name: 'flaky-1', labels: { app: 'flaky', version: 'v1' }, serviceAccount: 'flaky' });
      healthy = await m.addPod({ name: 'pool-ok', labels: { app: 'pool', version: 'v1' }, serviceAccount: 'pool' });
      broken = await m.addPod({ name: 'pool-bad', labels: { app: 'pool', version: 'v1' }, serviceAccount: 'pool' });
      m.labelNamespace('default', { 'skein.dev/inject': 'enabled' });
      m.addService({ name: 'flaky', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }], pods: [flaky] });
      m.addService({ name: 'pool', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }], pods: [healthy, broken] });
      world = await startMeshWorld(m, subsets);
      await flaky.startEcho({ http: 8080, failPercent: 30 });
      await healthy.startEcho({ http: 8080 });
      await broken.startEcho({ http: 8080, failPercent: 100 });
      await Promise.all([client, flaky, healthy, broken].map((p) => addSidecar(m, world, p)));
    },
  });

  it('retries (3 attempts on 5xx) hide an endpoint that fails 30 % of requests', async () => {
    const withRetries = yamlDocs(subsets, virtualService('flaky', `    - route: [{ destination: { host: flaky } }]
      retries: { attempts: 3, retryOn: 5xx }`));
    // Converged once the retry route is in effect: the flaky app fails every third or fourth request
    // (deterministically), so ten requests in a row succeed only with retries (one success alone
    // would also happen on the old route and let the run below start too early).
    await changeConfig(mesh(), world, withRetries, async () => (await client.client({ protocol: 'http', target: 'http://flaky/', count: 10 })).ok === 10);
    // One request at a time: the app's failures are deterministic (never two in a row), so every
    // retry lands on an answer. With requests in parallel, others consume the app's sequence during
    // a retry's back-off and a retry can hit the next failure — 3 retries then fail together with
    // probability ~0.3³ per failed request, which made this journey flaky.
    const r = await client.client({ protocol: 'http', target: 'http://flaky/retry', count: 50, concurrency: 1 });
    expect({ ok: r.ok, failed: r.failed, statuses: r.statuses }).toEqual({ ok: 50, failed: 0, statuses: { 200: 50 } });
  });

  it('outlier detection ejects an endpoint that answers only 503s', async () => {
    const ejecting = yamlDocs(
      subsets,
      destinationRule('pool', '  trafficPolicy:\n    outlierDetection: { consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100 }'),
      virtualService('pool', `    - route: [{ destination: { host: pool } }]
      retries: { attempts: 0 }`),
    );
    // Converged once the client's sidecar holds the pool's outlier detection (a request that merely
    // succeeds would also do so on the old config).
    await changeConfig(mesh(), world, ejecting, async () => JSON.stringify(await adminJson(client, '/config_dump')).includes('"consecutive5xx":2'));
    // Warm-up: the broken endpoint fails a few requests, then gets ejected.
    await client.client({ protocol: 'http', target: 'http://pool/warm', count: 20 });
    await new Promise((r) => setTimeout(r, 1500)); // one ejection sweep (interval 1 s)
    const r = await client.client({ protocol: 'http', target: 'http://pool/after', count: 30 });
    expect({ ok: r.ok, failed: r.failed, byName: r.byName }).toEqual({ ok: 30, failed: 0, byName: { pool: 30 } });
  });
}, tools);
