/**
 * Test code only: the operator's verbs run as a user runs them — `node dist/cli/src/main.js …` with
 * a kubeconfig file — against the simulated kube-apiserver (e2e/cluster/apiserver: HTTPS, RBAC,
 * CRDs, admission webhooks, the namespace controller and garbage collector), with what the rest of
 * a cluster adds around it played here: the Deployment controller and kubelet for the control plane
 * (a real `skein controlplane kube` process as its service account, its pod marked Ready) and the
 * pods' network, a routing table from pod IP and port to real loopback ports (what the API server
 * dials for webhooks and port-forwards).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type KubeObject, type SimulatedApiServer, startSimulatedApiServer } from '../../../e2e/cluster/apiserver';

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

/**
 * A kubeconfig file for `server` with a bearer token: https verified with `caPem`; http (the
 * lenient API double) with TLS verification off, as client-node wants.
 */
export function writeKubeconfig(dir: string, server: string, o: { token?: string; namespace?: string; caPem?: string } = {}): string {
  const file = path.join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}.yaml`);
  const tls = o.caPem ? `, certificate-authority-data: ${Buffer.from(o.caPem).toString('base64')}` : server.startsWith('http:') ? ', insecure-skip-tls-verify: true' : '';
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{ name: sim, cluster: { server: "${server}"${tls} } }]`,
    `users: [{ name: admin, user: { token: "${o.token ?? 'test-token'}" } }]`,
    `contexts: [{ name: sim, context: { cluster: sim, user: admin${o.namespace ? `, namespace: ${o.namespace}` : ''} } }]`,
    'current-context: sim', '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

export const ref = {
  pods: { group: '', version: 'v1', plural: 'pods' },
  serviceAccounts: { group: '', version: 'v1', plural: 'serviceaccounts' },
  namespaces: { group: '', version: 'v1', plural: 'namespaces' },
  services: { group: '', version: 'v1', plural: 'services' },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments' },
  virtualServices: { group: 'networking.skein.dev', version: 'v1alpha1', plural: 'virtualservices' },
} as const;

export interface SimCluster {
  api: SimulatedApiServer;
  /** The admin's kubeconfig (context namespace as given). */
  kubeconfig: string;
  /** Where the API server's connections to `podIP:port` (webhook calls, port-forwards) go: a port on 127.0.0.1. */
  route(podIP: string, port: number, localPort: number): void;
  stop(): Promise<void>;
}

/**
 * The simulated API server with the namespace controller, garbage collector and EndpointSlice
 * controller running; the Deployment, ReplicaSet and Job controllers and the scheduler are off
 * (the tests play the kubelet for the few pods there are).
 */
export async function startCluster(dir: string, o: { namespace?: string; version?: string } = {}): Promise<SimCluster> {
  const api = await startSimulatedApiServer({ version: o.version ?? 'v1.31.2', controllers: { deployment: false, replicaSet: false, job: false, scheduler: false } });
  const routes = new Map<string, number>();
  api.hooks.dialer = (target) => new Promise((resolve, reject) => {
    const local = routes.get(`${target.host}:${target.port}`);
    const socket = local === undefined ? net.connect(target.port, target.host) : net.connect(local, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
  return {
    api,
    kubeconfig: writeKubeconfig(dir, api.url, { token: api.adminToken, caPem: api.caPem, ...(o.namespace ? { namespace: o.namespace } : {}) }),
    route: (podIP, port, localPort) => void routes.set(`${podIP}:${port}`, localPort),
    stop: () => api.stop(),
  };
}

/** What the kubelet reports for a started pod: Running, Ready, with an IP. */
export async function markRunning(api: SimulatedApiServer, namespace: string, name: string, podIP: string): Promise<KubeObject> {
  return api.client.patch(ref.pods, namespace, name, {
    status: { phase: 'Running', podIP, podIPs: [{ ip: podIP }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }] },
  }, 'merge', { subresource: 'status' });
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** A pod from `template`, as a ReplicaSet creates it, bound to a node; the API server's admission (webhooks too) applies. */
export async function createPod(api: SimulatedApiServer, namespace: string, name: string, template: PodTemplate): Promise<KubeObject> {
  return api.client.create(ref.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: template.metadata?.labels ?? {}, annotations: template.metadata?.annotations ?? {} },
    spec: { ...template.spec, nodeName: 'node-1' },
  });
}

/** A token of `serviceAccount` bound to the pod (what the kubelet projects into it), for `audience`. */
export async function podToken(api: SimulatedApiServer, pod: KubeObject, serviceAccount: string, audience?: string): Promise<string> {
  const answer = await api.client.subresource(ref.serviceAccounts, pod.metadata.namespace, serviceAccount, 'token', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
    spec: { expirationSeconds: 3600, ...(audience ? { audiences: [audience] } : {}), boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid } },
  }) as { status: { token: string } };
  return answer.status.token;
}

export interface ControlPlaneProcess {
  proc: ChildProcess;
  pod: string;
  ports: { xds: number; monitoring: number; webhook: number };
  log: () => string;
  stop(): Promise<void>;
}

/** A real `skein controlplane kube` with `kubeconfig` on loopback, with the ports it chose. */
export async function startKubeControlPlane(kubeconfig: string, identity: string, logFile: string, timeoutMs = 60_000): Promise<Omit<ControlPlaneProcess, 'pod'>> {
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
 * Deployment, create its pod, start the real control plane as the pod's service account (a token
 * bound to the pod, so the install's RBAC is what it gets), route the pod's ports to it, mark the
 * pod Ready and the Deployment available.
 */
export function simulateControlPlaneRollout(cluster: SimCluster, dir: string): { ready: Promise<ControlPlaneProcess>; stop(): Promise<void> } {
  const { api } = cluster;
  let stopped = false;
  let started: Omit<ControlPlaneProcess, 'pod'> | undefined;
  const name = 'skein-controlplane-7d4f9-abcde';
  const podIP = '127.0.20.1';
  const ready = (async (): Promise<ControlPlaneProcess> => {
    const deadline = Date.now() + 120_000;
    let deployment: KubeObject | undefined;
    while (!(deployment = api.store.get('apps/deployments', 'skein-system', 'skein-controlplane'))) {
      if (stopped || Date.now() > deadline) throw new Error('no control plane Deployment was applied');
      await new Promise((r) => setTimeout(r, 50));
    }
    const pod = await createPod(api, 'skein-system', name, (deployment.spec as { template: PodTemplate }).template);
    const kubeconfig = writeKubeconfig(dir, api.url, { token: await podToken(api, pod, 'skein-controlplane'), caPem: api.caPem });
    started = await startKubeControlPlane(kubeconfig, name, path.join(dir, 'controlplane.log'));
    cluster.route(podIP, 15012, started.ports.xds);
    cluster.route(podIP, 15014, started.ports.monitoring);
    cluster.route(podIP, 15017, started.ports.webhook);
    await markRunning(api, 'skein-system', name, podIP);
    const replicas = Number((deployment.spec as { replicas?: number }).replicas ?? 1);
    await api.client.patch(ref.deployments, 'skein-system', 'skein-controlplane', {
      status: { observedGeneration: deployment.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
    }, 'merge', { subresource: 'status' });
    return { ...started, pod: name };
  })();
  return {
    ready,
    stop: async () => {
      stopped = true;
      await ready.catch(() => undefined);
      await started?.stop();
      // The kubelet confirms the pod is gone (as it would once the Deployment's ReplicaSet deletes it).
      if (api.store.get('pods', 'skein-system', name)) await api.client.delete(ref.pods, 'skein-system', name, { gracePeriodSeconds: 0 });
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
