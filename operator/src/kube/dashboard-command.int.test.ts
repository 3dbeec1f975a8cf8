/**
 * `skein dashboard` (the built CLI) against the API double on loopback (the simulated API server's
 * wire: the pod list, and `pods/NAME/portforward` over WebSocket, `v4.channel.k8s.io`) whose dialer
 * takes the forwarded connection to a real monitoring server — which answers the dashboard only on
 * loopback, as on Kubernetes. And `--local`, and every way it can fail.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ControlPlane } from '../controlplane';
import { startMonitoring } from '../monitoring/http-server';
import { ControlPlaneMetrics } from '../monitoring/metrics';
import { FakeApiServer, type StoredObject } from './testing/fake-apiserver';

const main = path.resolve(__dirname, '../../../dist/cli/src/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `whenReady` (on stdout) runs `then` and interrupts it with SIGINT. */
function skein(args: string[], env: NodeJS.ProcessEnv, whenReady?: { on: RegExp; then: (m: RegExpExecArray) => Promise<void> }): Promise<Run & { thenError?: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    let thenError: unknown;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = whenReady?.on.exec(stdout);
      if (m && !started) {
        started = true;
        whenReady!.then(m).catch((err: unknown) => (thenError = err)).finally(() => child.kill('SIGINT'));
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, thenError });
    });
  });
}

describe('skein dashboard', () => {
  jest.setTimeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-dashboard-'));
  const cp = new ControlPlane({ metrics: new ControlPlaneMetrics(false) });
  let monitoring: { port: number; close(): Promise<void> };
  const api = new FakeApiServer();
  const dialed: string[] = [];
  let kubeconfig: string;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir, ...extra });

  const pod = (name: string, ready: boolean, podIP: string): StoredObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'skein-system', labels: { app: 'skein-controlplane' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'controlplane', image: 'skein' }] },
    status: { phase: 'Running', podIP, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const setPods = (pods: StoredObject[]): void => {
    for (const p of ['skein-controlplane-aaa', 'skein-controlplane-bbb']) api.remove('v1/pods', 'skein-system', p);
    for (const p of pods) api.put('v1/pods', p);
  };

  beforeAll(async () => {
    cp.onSynced();
    monitoring = await startMonitoring(cp, '127.0.0.1', 0);
    // "Inside the pod": the kubelet connects to the pod's own loopback, where the monitoring server answers.
    api.dialer = (target) => new Promise((resolve, reject) => {
      dialed.push(`${target.purpose} ${target.pod?.name}:${target.port}`);
      const socket = net.connect(monitoring.port, '127.0.0.1');
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
    const server = await api.start();
    kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: test',
      `clusters: [{ name: test, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]`,
      `users: [{ name: test, user: { token: ${api.token} } }]`,
      'contexts: [{ name: test, context: { cluster: test, user: test } }]', '',
    ].join('\n'));
  });

  afterAll(async () => {
    cp.stop();
    await monitoring.close();
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('port-forwards to a ready control plane pod and prints the dashboard URL, which serves the page and its data', async () => {
    setPods([pod('skein-controlplane-aaa', false, '10.244.0.5'), pod('skein-controlplane-bbb', true, '10.244.0.6')]);
    const r = await skein(['dashboard', '--kubeconfig', kubeconfig], env(), {
      on: /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m,
      then: async (m) => {
        const page = await fetch(m[1]!);
        expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('<title>Skein mesh dashboard</title>')]);
        const view = await (await fetch(`${m[1]}dashboard/api/view`)).json() as { proxies: unknown[] };
        expect(view.proxies).toEqual([]);
      },
    });
    expect(r.thenError).toBeUndefined();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^forwarding 127\.0\.0\.1:\d+ -> skein-system\/skein-controlplane-bbb:15014$/m);
    expect(new Set(dialed)).toEqual(new Set(['port-forward skein-controlplane-bbb:15014']));
    expect(api.requests.some((q) => q.path === '/api/v1/namespaces/skein-system/pods/skein-controlplane-bbb/portforward' && q.query.get('ports') === '15014')).toBe(true);
  });

  it.each([
    ['no ready control plane pod', () => ['dashboard', '--kubeconfig', kubeconfig], () => [pod('skein-controlplane-aaa', false, '10.244.0.5')], /no ready control plane pod in skein-system \(1 found; is Skein installed\?\)/],
    ['no kubeconfig anywhere', () => ['dashboard'], () => [], /no kubeconfig.*for a local control plane use --local/],
    ['a kubeconfig that does not exist', () => ['dashboard', '--kubeconfig', path.join(dir, 'nope')], () => [], /nope: no such kubeconfig/],
  ])('fails clearly (exit 1) with %s', async (_name, args, podsNow, message) => {
    setPods(podsNow());
    const r = await skein(args(), env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('--local checks the control plane answers and prints its URL', async () => {
    const ok = await skein(['dashboard', '--local', '--monitor-port', String(monitoring.port)], env());
    expect({ code: ok.code, stdout: ok.stdout }).toEqual({ code: 0, stdout: `dashboard: http://127.0.0.1:${monitoring.port}/\n` });
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const none = await skein(['dashboard', '--local', '--monitor-port', String(free)], env());
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no control plane answers at http://127.0.0.1:${free}/`);
  });

  it.each([
    [['dashboard', '--monitor-port', '1'], /--monitor-host and --monitor-port go with --local/],
    [['dashboard', '--local', '--port', '8080'], /--port, --kubeconfig and --context are for a cluster/],
    [['dashboard', '--port', 'http'], /--port: expected a port number/],
    [['dashboard', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a usage error (exit 2)', async (args, message) => {
    const r = await skein(args, env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
