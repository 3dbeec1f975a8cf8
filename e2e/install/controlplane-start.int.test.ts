// socks-proxy-agent ships ESM that is not transformed here; SOCKS proxies are unused.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
/**
 * `skein controlplane kube` started the way the install Deployment starts it (the container args
 * and env from manifests/install.yaml, the built CLI, the client-go lease defaults — nothing a
 * production install leaves unset is set here), against the API double: it stays up while the API
 * server is unreachable or the CRDs are missing, /readyz says why, and it becomes ready and leader
 * once they are there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { kubeConfigFor } from '../../operator/src/kube/rest';
import { FakeApiServer } from '../../operator/src/kube/testing/fake-apiserver';
import { waitUntil } from '../harness/wait';
import { BuiltCli, manifestContainer } from './manifest-deployment';

jest.setTimeout(60_000);

function get(port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: pathname }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

class ControlPlaneProcess {
  output = '';
  exit: number | null | undefined;
  private readonly child: ChildProcess;

  constructor(kubeconfig: string) {
    const { args, env } = manifestContainer('skein-controlplane', { name: 'skein-controlplane-0', namespace: 'skein-system' });
    // The manifest's args as given; only the API server's address and free ports are added (the
    // kubelet's in-cluster token is not there outside a pod, and default ports may be taken here).
    const argv = [BuiltCli, ...args, '--kubeconfig', kubeconfig, '--xds-port', '0', '--webhook-port', '0', '--monitor-host', '127.0.0.1', '--monitor-port', '0'];
    this.child = spawn(process.execPath, argv, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) stream.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.on('exit', (code) => (this.exit = code));
  }

  async monitorPort(): Promise<number> {
    await waitUntil(() => /monitoring on [\d.]+:\d+/.test(this.output) || this.exit !== undefined, { timeoutMs: 20_000, what: 'the monitoring line' });
    const m = /monitoring on [\d.]+:(\d+)/.exec(this.output);
    if (!m) throw new Error(`no monitoring port; exit ${this.exit}; output:\n${this.output}`);
    return Number(m[1]);
  }

  async stop(): Promise<number | null> {
    if (this.exit === undefined) {
      this.child.kill('SIGTERM');
      await waitUntil(() => this.exit !== undefined, { timeoutMs: 15_000, what: 'the control plane to exit on SIGTERM' });
    }
    return this.exit ?? null;
  }
}

describe('skein controlplane kube, run as install.yaml runs it', () => {
  let dir: string;
  let api: FakeApiServer | undefined;
  let cp: ControlPlaneProcess | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-cp-start-'));
  });
  afterEach(async () => {
    await cp?.stop();
    await api?.close();
    cp = api = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function kubeconfigFile(server: string): string {
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, kubeConfigFor(server).exportConfig());
    return file;
  }

  it('stays up while the API server cannot be reached: /healthz live, /readyz 503 with the reason, SIGTERM exits 0', async () => {
    cp = new ControlPlaneProcess(kubeconfigFile('http://127.0.0.1:1'));
    const port = await cp.monitorPort();
    await waitUntil(async () => (await get(port, '/readyz')).body.includes('CA: cannot load the CA'), { timeoutMs: 10_000, what: '/readyz to name the CA' });
    const healthz = await get(port, '/healthz');
    const readyz = await get(port, '/readyz');
    expect(healthz.status).toBe(200);
    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatch(/informer Namespace: connect ECONNREFUSED 127\.0\.0\.1:1/);
    // Several retry rounds later it is still there.
    await waitUntil(() => (cp!.output.match(/informer Namespace: connect ECONNREFUSED/g) ?? []).length >= 4, { timeoutMs: 20_000, what: 'four retries' });
    expect(cp.exit).toBeUndefined();
    expect(cp.output).not.toMatch(/renewDeadline/);
    expect(await cp.stop()).toBe(0);
  });

  it('says which CRD is missing, keeps retrying, and turns ready and leader once it is served', async () => {
    api = new FakeApiServer();
    const url = await api.start();
    // The VirtualService type is not served for the first lists (its CRD "not installed yet").
    api.failNext('GET', /\/apis\/networking\.skein\.dev\/v1alpha1\/virtualservices$/, 404, 3, 'NotFound');
    cp = new ControlPlaneProcess(kubeconfigFile(url));
    const port = await cp.monitorPort();
    await waitUntil(() => cp!.output.includes('CRD virtualservices.networking.skein.dev is not installed'), { timeoutMs: 15_000, what: 'the missing-CRD log line' });
    await waitUntil(async () => (await get(port, '/readyz')).status === 200, { timeoutMs: 40_000, what: 'ready once the CRD is served' });
    expect(cp.exit).toBeUndefined();
    await waitUntil(() => cp!.output.includes('skein-controlplane-0 is now the leader'), { timeoutMs: 10_000, what: 'leadership with the default lease' });
    const lease = api.get('coordination.k8s.io/v1/leases', 'skein-system', 'skein-controlplane') as { spec?: { holderIdentity?: string; leaseDurationSeconds?: number } } | undefined;
    expect(lease?.spec).toMatchObject({ holderIdentity: 'skein-controlplane-0', leaseDurationSeconds: 15 });
    expect(await cp.stop()).toBe(0);
  });
});
