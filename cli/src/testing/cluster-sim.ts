/**
 * Test code only: the operator's verbs run as a user runs them — `node dist/cli/src/main.js …` with
 * a kubeconfig file — against the API double (operator/src/kube/testing/fake-apiserver.ts), with
 * what a cluster adds around it: the Deployment controller and kubelet for the control plane (a real
 * `skein controlplane kube` process, its pod marked Ready), and port-forwards to real loopback ports.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type FakeApiServer, type StoredObject } from '../../../operator/src/kube/testing/fake-apiserver';

/** The built CLI (tests of this kind need `npm run build`, as `npm run test:integration` does). */
export const skeinMain = path.join(repoRoot(__dirname), 'dist', 'cli', 'src', 'main.js');

function repoRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && path.basename(dir) !== 'dist') return dir;
  }
  throw new Error(`no package.json above ${from}`);
}

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `skein ARGS` to completion (bounded), as a user would. */
export function skein(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [skeinMain, ...args], { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 90_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out, err: errOut });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** A kubeconfig file pointing at `server` with a bearer token (http: TLS verification off, as client-node wants). */
export function writeKubeconfig(dir: string, server: string, token = 'test-token', namespace?: string): string {
  const file = path.join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{ name: sim, cluster: { server: "${server}"${server.startsWith('http:') ? ', insecure-skip-tls-verify: true' : ''} } }]`,
    `users: [{ name: admin, user: { token: "${token}" } }]`,
    `contexts: [{ name: sim, context: { cluster: sim, user: admin${namespace ? `, namespace: ${namespace}` : ''} } }]`,
    'current-context: sim', '',
  ].join('\n'));
  return file;
}

/** A Pod as the kubelet reports it: Running, Ready, with an IP. */
export function runningPod(namespace: string, name: string, o: { labels?: Record<string, string>; annotations?: Record<string, string>; containers: string[]; ip: string; serviceAccount?: string }): StoredObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels: o.labels ?? {}, annotations: o.annotations ?? {} },
    spec: { serviceAccountName: o.serviceAccount ?? 'default', containers: o.containers.map((c) => ({ name: c, image: 'x' })) },
    status: { phase: 'Running', podIP: o.ip, podIPs: [{ ip: o.ip }], conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export interface ControlPlaneProcess {
  proc: ChildProcess;
  ports: { xds: number; monitoring: number; webhook: number };
  log: () => string;
  stop(): Promise<void>;
}

/** A real `skein controlplane kube` against the API double, on loopback, with the ports it chose. */
export async function startKubeControlPlane(kubeconfig: string, identity: string, logFile: string, timeoutMs = 60_000): Promise<ControlPlaneProcess> {
  const fd = fs.openSync(logFile, 'a');
  const proc = spawn(process.execPath, [skeinMain, 'controlplane', 'kube', '--kubeconfig', kubeconfig, '--identity', identity, '--namespace', 'skein-system',
    '--xds-host', '127.0.0.1', '--xds-port', '0', '--monitor-host', '127.0.0.1', '--monitor-port', '0', '--webhook-host', '127.0.0.1', '--webhook-port', '0'], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const log = () => fs.readFileSync(logFile, 'utf8');
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /ADS\+CA on :(\d+), monitoring on :(\d+), webhook on :(\d+)/.exec(log());
    if (m) return { proc, ports: { xds: Number(m[1]), monitoring: Number(m[2]), webhook: Number(m[3]) }, log, stop };
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the control plane did not start:\n${log().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The Deployment controller and kubelet for the control plane: when `skein install` has applied the
 * Deployment, start the real control plane, add its Ready pod and mark the Deployment available.
 */
export function simulateControlPlaneRollout(api: FakeApiServer, kubeconfig: string, logFile: string): { ready: Promise<ControlPlaneProcess>; stop(): Promise<void> } {
  let stopped = false;
  let started: ControlPlaneProcess | undefined;
  const pod = 'skein-controlplane-7d4f9-abcde';
  const ready = (async () => {
    const deadline = Date.now() + 120_000;
    let deployment: StoredObject | undefined;
    while (!(deployment = api.get('apps/v1/deployments', 'skein-system', 'skein-controlplane'))) {
      if (stopped || Date.now() > deadline) throw new Error('no control plane Deployment was applied');
      await new Promise((r) => setTimeout(r, 50));
    }
    started = await startKubeControlPlane(kubeconfig, pod, logFile);
    api.portForwardTarget = ((previous) => (namespace, name, port) => {
      if (namespace === 'skein-system' && name === pod) {
        const local = { 15012: started!.ports.xds, 15014: started!.ports.monitoring, 15017: started!.ports.webhook }[port];
        return local ? { host: '127.0.0.1', port: local } : undefined;
      }
      return previous(namespace, name, port);
    })(api.portForwardTarget);
    api.put('v1/pods', runningPod('skein-system', pod, { labels: { app: 'skein-controlplane' }, containers: ['controlplane'], ip: '127.0.0.1', serviceAccount: 'skein-controlplane' }));
    const replicas = Number((deployment.spec as { replicas?: number }).replicas ?? 1);
    api.put('apps/v1/deployments', {
      ...deployment,
      status: { observedGeneration: deployment.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [{ type: 'Available', status: 'True' }] },
    });
    return started;
  })();
  return {
    ready,
    stop: async () => {
      stopped = true;
      await ready.catch(() => undefined);
      await started?.stop();
    },
  };
}

export interface Background {
  name: string;
  proc: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** A long-running `skein …` (control plane, proxy) with its output in DIR/NAME.log; stop() is SIGTERM, then SIGKILL. */
export function startBackground(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Background {
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const proc = spawn(process.execPath, [skeinMain, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    name, proc,
    log: () => fs.readFileSync(logFile, 'utf8'),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` (bounded) until it holds; fails early, with the log, if `child` exits. */
export async function waitUntil(what: string, child: Background, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`${child.name} exited while waiting for ${what}:\n${child.log().slice(-2000)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms:\n${child.log().slice(-2000)}`);
}
