/**
 * `skein dashboard` (the built CLI) against an API server double on loopback that lists the control
 * plane's pods and serves `pods/NAME/portforward` over WebSocket (`v4.channel.k8s.io`: per port a data
 * and an error channel, each opened with the port number) to a real monitoring server — which answers
 * the dashboard only on loopback, as on Kubernetes. And `--local`, and every way it can fail.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ControlPlane } from '../controlplane';
import { startMonitoring } from '../monitoring/http-server';
import { ControlPlaneMetrics } from '../monitoring/metrics';

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
  let api: http.Server;
  let pods: unknown[] = [];
  const forwards: string[] = [];
  let kubeconfig: string;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir, ...extra });

  beforeAll(async () => {
    cp.onSynced();
    monitoring = await startMonitoring(cp, '127.0.0.1', 0);
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
    api = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/api/v1/namespaces/skein-system/pods' && url.searchParams.get('labelSelector') === 'app=skein-controlplane') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: pods }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', status: 'Failure', message: 'not found', code: 404 }));
      }
    });
    api.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/api\/v1\/namespaces\/skein-system\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
      if (!m || url.searchParams.get('ports') !== '15014') return socket.destroy();
      forwards.push(m[1]!);
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const port = Buffer.from([15014 & 0xff, 15014 >> 8]);
        ws.send(Buffer.concat([Buffer.from([0]), port]));
        ws.send(Buffer.concat([Buffer.from([1]), port]));
        // "Inside the pod": the connection arrives on the monitoring server from loopback.
        const tcp = net.connect(monitoring.port, '127.0.0.1');
        tcp.on('data', (d) => ws.send(Buffer.concat([Buffer.from([0]), d])));
        tcp.on('close', () => ws.close());
        tcp.on('error', () => ws.close());
        ws.on('message', (msg: Buffer) => {
          if (msg[0] === 0 && msg.length > 1) tcp.write(msg.subarray(1));
        });
        ws.on('close', () => tcp.destroy());
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
    kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: test',
      `clusters: [{ name: test, cluster: { server: "http://127.0.0.1:${(api.address() as net.AddressInfo).port}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: test, user: { token: test-token } }]',
      'contexts: [{ name: test, context: { cluster: test, user: test } }]', '',
    ].join('\n'));
  });

  afterAll(async () => {
    cp.stop();
    await monitoring.close();
    api.closeAllConnections();
    await new Promise<void>((r) => api.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const pod = (name: string, ready: boolean): unknown => ({ metadata: { name, namespace: 'skein-system' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });

  it('port-forwards to a ready control plane pod and prints the dashboard URL, which serves the page and its data', async () => {
    pods = [pod('skein-controlplane-aaa', false), pod('skein-controlplane-bbb', true)];
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
    expect(new Set(forwards)).toEqual(new Set(['skein-controlplane-bbb']));
  });

  it.each([
    ['no ready control plane pod', () => ['dashboard', '--kubeconfig', kubeconfig], () => [pod('skein-controlplane-aaa', false)], /no ready control plane pod in skein-system \(1 found; is Skein installed\?\)/],
    ['no kubeconfig anywhere', () => ['dashboard'], () => [], /no kubeconfig .*for a local control plane use --local/],
    ['a kubeconfig that does not exist', () => ['dashboard', '--kubeconfig', path.join(dir, 'nope')], () => [], /nope: no such kubeconfig/],
  ])('fails clearly (exit 1) with %s', async (_name, args, podsNow, message) => {
    pods = podsNow();
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
    [['dashboard', '--local', '--port', '8080'], /--port and --kubeconfig are for a cluster/],
    [['dashboard', '--port', 'http'], /--port: expected a port number/],
    [['dashboard', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a usage error (exit 2)', async (args, message) => {
    const r = await skein(args, env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
