/**
 * Root CA rotation without an outage (linkerd#4287 was one), on a real local mesh: `skein
 * controlplane` in local mode, sidecars in xDS mode as UID 1337 in network namespaces, real
 * iptables capture. Steady traffic flows the whole time — HTTP over pooled mTLS connections and
 * TCP, where every request is a new mTLS handshake between the sidecars — while the operator
 * follows the documented steps with the real CLI:
 *   1. add the new root to the trust bundle (`skein ca bundle --add`; the proxies' root file gets
 *      both roots) and wait until every proxy trusts both;
 *   2. switch signing to the new root (`skein ca switch`) and wait until every workload renewed;
 *   3. retire the old root (`skein ca bundle --remove`; the proxies' root file keeps the new one).
 * Not one request may fail; the count of requests and failures is printed.
 */
import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type LoadReport } from '../apps/load';
import { describeSystem } from '../support/system';
import { useMesh, waitUntil, type ManagedProcess, type Mesh, type Pod } from '../harness';
import { addSidecar, adminJson, skein, startMeshWorld, type MeshWorld } from './support';

const tools = ['ip', 'iptables', 'setpriv', 'bash'];

/** Certificates live 10 s: renewed every ~5 s, so every step is followed by renewals within seconds. */
const certValiditySeconds = 10;

async function lines(p: ManagedProcess, pattern: RegExp): Promise<string[]> {
  return (await p.log()).split('\n').filter((l) => pattern.test(l));
}

describeSystem('root CA rotation under steady traffic (local mesh)', () => {
  let world: MeshWorld;
  let client: Pod;
  let web: Pod[];
  let pods: Pod[];
  let proxies: ManagedProcess[];

  const mesh = useMesh({
    setupTimeoutMs: 120_000,
    testTimeoutMs: 180_000,
    setup: async (m) => {
      client = await m.addPod({ name: 'client', labels: { app: 'client' }, serviceAccount: 'client' });
      web = [await m.addPod({ name: 'web-1', labels: { app: 'web' }, serviceAccount: 'web' }), await m.addPod({ name: 'web-2', labels: { app: 'web' }, serviceAccount: 'web' })];
      pods = [client, ...web];
      m.labelNamespace('default', { 'skein.dev/inject': 'enabled' });
      m.addService({ name: 'web', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }, { name: 'tcp-echo', port: 7070, targetPort: 7070 }], pods: web });
      world = await startMeshWorld(m);
      await Promise.all(web.map((p) => p.startEcho({ http: 8080, tcp: 7070 })));
      proxies = await Promise.all(pods.map((p) => addSidecar(m, world, p, { certValiditySeconds })));
    },
  });

  /** The proxies' root file (the skein-root-cert ConfigMap in a cluster), replaced atomically. */
  function publishBundle(m: Mesh, pem: string): void {
    const partial = path.join(m.dir, '.root-cert.pem.partial');
    writeFileSync(partial, pem);
    chmodSync(partial, 0o644);
    renameSync(partial, world.rootCert);
  }

  /** Waits until every proxy logged `pattern`, then a new certificate after it. */
  async function everyProxyRenewedAfter(pattern: RegExp, what: string): Promise<void> {
    await waitUntil(async () => {
      for (const p of proxies) {
        const log = (await p.log()).split('\n');
        const at = log.findIndex((l) => pattern.test(l));
        if (at < 0 || !log.slice(at + 1).some((l) => /certificate for spiffe:/.test(l))) return false;
      }
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200, what });
  }

  it('adds the new root, switches signing, retires the old root: zero failed requests', async () => {
    const m = mesh();
    const totals: Record<'http' | 'tcp', LoadReport[]> = { http: [], tcp: [] };
    let rotating = true;
    // Steady traffic in bounded chunks until the journey is over.
    const traffic = Promise.all([
      (async () => {
        while (rotating) totals.http.push(await client.client({ protocol: 'http', target: 'http://web/rotation', durationMs: 3000, count: 20_000, concurrency: 2 }));
      })(),
      (async () => {
        while (rotating) totals.tcp.push(await client.client({ protocol: 'tcp', target: 'web:7070', message: 'rotation', durationMs: 3000, count: 20_000, concurrency: 1 }));
      })(),
    ]);
    const started = Date.now();
    const steps: string[] = [];
    const step = (name: string) => steps.push(`${name} at +${((Date.now() - started) / 1000).toFixed(1)} s`);
    try {
      await waitUntil(() => totals.http.length > 0 && totals.tcp.length > 0, { timeoutMs: 20_000, intervalMs: 200, what: 'traffic before the rotation' });
      const oldRoot = path.join(m.dir, 'old-root.pem');
      copyFileSync(path.join(world.caDir, 'root-cert.pem'), oldRoot);
      const nextDir = path.join(m.dir, 'next-ca');
      await m.node.exec(skein('ca', 'init', '--dir', nextDir));

      // 1. Trust the new root everywhere before anything is signed under it.
      await m.node.exec(skein('ca', 'bundle', '--dir', world.caDir, '--add', path.join(nextDir, 'root-cert.pem')));
      publishBundle(m, readFileSync(path.join(world.caDir, 'root-cert.pem'), 'utf8'));
      await world.controlPlane.waitForLog(/ca: reloaded .*trust bundle 2 roots/, { timeoutMs: 15_000 });
      await everyProxyRenewedAfter(/trust bundle .* changed: 2 root\(s\)/, 'every proxy to trust both roots');
      step('1. both roots trusted');

      // 2. Sign under the new root; every workload renews (over mTLS, with its current certificate).
      await m.node.exec(skein('ca', 'switch', '--dir', world.caDir, '--from', nextDir));
      await world.controlPlane.waitForLog(/ca: reloaded .*signing with a new CA certificate/, { timeoutMs: 15_000 });
      await waitUntil(async () => {
        const log = (await world.controlPlane.log()).split('\n');
        const after = log.slice(log.findIndex((l) => /signing with a new CA certificate/.test(l)));
        return pods.every((p) => after.some((l) => l.includes(`ca: issued ${p.spiffeId} (client-certificate)`)));
      }, { timeoutMs: 30_000, intervalMs: 200, what: 'every workload to renew under the new root' });
      step('2. every workload renewed under the new root');

      // 3. Retire the old root.
      await m.node.exec(skein('ca', 'bundle', '--dir', world.caDir, '--remove', oldRoot));
      publishBundle(m, readFileSync(path.join(world.caDir, 'root-cert.pem'), 'utf8'));
      await world.controlPlane.waitForLog(/ca: reloaded .*trust bundle 1 root \(changed\)/, { timeoutMs: 15_000 });
      await everyProxyRenewedAfter(/trust bundle .* changed: 1 root\(s\)/, 'every proxy to trust only the new root');
      step('3. old root retired');
      // Keep the traffic going across a few more renewals under the new root alone.
      await new Promise((r) => setTimeout(r, 6000));
    } finally {
      rotating = false;
      await traffic;
    }

    const sum = (reports: LoadReport[]) => reports.reduce((t, r) => ({ requests: t.requests + r.requests, failed: t.failed + r.failed, errors: { ...t.errors, ...r.errors } }), { requests: 0, failed: 0, errors: {} as Record<string, number> });
    const http = sum(totals.http);
    const tcp = sum(totals.tcp);
    const renewals = (await Promise.all(proxies.map((p) => lines(p, /certificate for spiffe:/)))).reduce((n, l) => n + l.length, 0);
    console.log(`root rotation: ${steps.join(', ')}; HTTP ${http.requests} requests, ${http.failed} failed; TCP (a new mTLS connection each) ${tcp.requests} requests, ${tcp.failed} failed; ${renewals} certificates issued to the ${proxies.length} sidecars`);
    expect({ failed: http.failed, errors: http.errors }).toEqual({ failed: 0, errors: {} });
    expect({ failed: tcp.failed, errors: tcp.errors }).toEqual({ failed: 0, errors: {} });
    expect(http.requests).toBeGreaterThan(0);
    expect(tcp.requests).toBeGreaterThan(0);

    // After the rotation the mesh runs on the new root alone: a caller's identity is still seen,
    // and the sidecars are connected to the control plane with their new certificates.
    const after = await client.client({ protocol: 'http', target: 'http://web/after' });
    expect(after).toMatchObject({ ok: 1, first: { callerSpiffeId: client.spiffeId } });
    // Streams opened with certificates under the retired root were closed; the sidecars came back with new ones.
    expect(await world.controlPlane.log()).toMatch(/ads: \d+ stream\(s\) closed: their certificates no longer verify against the new trust bundle/);
    await waitUntil(async () => ((await adminJson(client, '/config_dump')) as { xds?: { connected?: boolean } }).xds?.connected === true, { timeoutMs: 15_000, intervalMs: 200, what: 'the client sidecar connected to ADS with its new certificate' });
  });
}, tools);
