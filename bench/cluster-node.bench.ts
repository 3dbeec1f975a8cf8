/**
 * `npm run bench cluster-node` (root): what the simulated node costs — its start, a pod from
 * create to Ready (one container; init + native sidecar + app), deletion until the object is gone,
 * a connection through the node's dialer against one made inside the pod's namespace, and the
 * test process's memory per running pod. Bounded: fixed counts, a time cap on every wait.
 *
 * The node is test code under e2e/ and stays out of dist/: it is loaded from its TypeScript
 * sources at run time (swc), never imported here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const repo = path.join(__dirname, '..', '..');

/** The parts of the e2e modules this benchmark uses (typed here: importing them would compile e2e/ into dist/). */
interface ApiConnection { url: string; caPem: string; token: string }
interface SimulatedNode { apiServerEndpoint: { ip: string; port: number }; dial(host: string, port: number): Promise<{ destroy(): void }>; stop(): Promise<void> }
interface TestApi { url: string; caPem: string; adminToken: string; setApiServerEndpoint(e: { ip: string; port: number }): void; close(): Promise<void> }
interface Client { get<T>(path: string): Promise<T>; post(path: string, body: unknown): Promise<unknown>; delete(path: string): Promise<unknown>; close(): void }
interface E2e {
  startSimulatedNode(o: { api: ApiConnection; name: string }): Promise<SimulatedNode>;
  TestApiServer: { start(o: { nodeName: string; dir: string }): Promise<TestApi> };
  KubeApi: new (c: ApiConnection) => Client;
  waitUntil(check: () => Promise<boolean>, o: { what: string; timeoutMs: number; intervalMs?: number }): Promise<void>;
  BusyboxImage: string;
  EchoImage: string;
}

/** Loads the e2e modules from their TypeScript sources, compiled by swc (a dev dependency, as benchmarks are). */
function loadE2e(): E2e {
  const swc = requireAtRunTime('@swc/core') as { transformSync(code: string, o: object): { code: string } };
  const extensions = (Module as unknown as { _extensions: Record<string, (m: { _compile(code: string, file: string): void }, file: string) => void> })._extensions;
  extensions['.ts'] ??= (m, file) => {
    const { code } = swc.transformSync(readFileSync(file, 'utf8'), { filename: file, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    m._compile(code, file);
  };
  const load = (p: string) => requireAtRunTime(path.join(repo, p)) as Record<string, unknown>;
  return { ...load('e2e/cluster/node/node.ts'), ...load('e2e/cluster/node/testing/test-api.ts'), ...load('e2e/cluster/node/api.ts'), ...load('e2e/harness/wait.ts'), ...load('e2e/cluster/images.ts') } as unknown as E2e;
}

function requireAtRunTime(id: string): unknown {
  return Module.createRequire(__filename)(id);
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${at(0.5).toFixed(0)} / ${at(0.9).toFixed(0)} / ${sorted.at(-1)!.toFixed(0)}`;
}

export async function run(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the simulated node needs root (network namespaces, mounts)');
    return;
  }
  const { startSimulatedNode, TestApiServer, KubeApi, waitUntil, BusyboxImage, EchoImage } = loadE2e();

  const dir = mkdtempSync(path.join(tmpdir(), 'skein-bench-node-'));
  const api = await TestApiServer.start({ nodeName: 'bench-node', dir });
  const client = new KubeApi({ url: api.url, caPem: api.caPem, token: api.adminToken });
  const startMs: number[] = [];
  let node: SimulatedNode | undefined;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const n = await startSimulatedNode({ api: { url: api.url, caPem: api.caPem, token: api.adminToken }, name: 'bench-node' });
    startMs.push(performance.now() - t);
    if (i < 2) await n.stop();
    else node = n;
  }
  api.setApiServerEndpoint(node!.apiServerEndpoint);
  const getPod = (name: string) => client.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/api/v1/namespaces/default/pods/${name}`).catch(() => undefined);
  const ready = async (name: string) => (await getPod(name))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const sh = (script: string) => ({ image: BusyboxImage, command: ['sh', '-c', script] });
  const createAndWait = async (name: string, spec: object): Promise<number> => {
    const t = performance.now();
    await client.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec });
    await waitUntil(() => ready(name), { what: `${name} Ready`, timeoutMs: 60_000, intervalMs: 20 });
    return performance.now() - t;
  };

  try {
    const rssBefore = process.memoryUsage().rss;
    const single: number[] = [];
    for (let i = 0; i < 20; i++) single.push(await createAndWait(`one-${i}`, { terminationGracePeriodSeconds: 5, containers: [{ name: 'main', ...sh("trap 'exit 0' TERM; while true; do sleep 0.1; done") }] }));
    const rssPerPodKb = (process.memoryUsage().rss - rssBefore) / 1024 / 20;
    const ordered: number[] = [];
    for (let i = 0; i < 5; i++) {
      ordered.push(await createAndWait(`ordered-${i}`, {
        initContainers: [
          { name: 'init', ...sh('true') },
          { name: 'sidecar', restartPolicy: 'Always', ...sh('touch /tmp/up; sleep 1000'), startupProbe: { exec: { command: ['test', '-f', '/tmp/up'] }, periodSeconds: 1 } },
        ],
        containers: [{ name: 'app', ...sh('sleep 1000') }],
      }));
    }
    const deletion: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await client.delete(`/api/v1/namespaces/default/pods/one-${i}`);
      await waitUntil(async () => (await getPod(`one-${i}`)) === undefined, { what: `one-${i} gone`, timeoutMs: 30_000, intervalMs: 20 });
      deletion.push(performance.now() - t);
    }
    // Dialer: connections from the test process into the node, against the same from inside a pod.
    await client.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'listener', namespace: 'default' }, spec: { containers: [{ name: 'main', image: EchoImage, args: ['--http', '8080'], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] } });
    await waitUntil(() => ready('listener'), { what: 'listener Ready', timeoutMs: 60_000, intervalMs: 50 });
    const ip = ((await client.get<{ status: { podIP: string } }>('/api/v1/namespaces/default/pods/listener')).status.podIP);
    const dials: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      (await node!.dial(ip, 8080)).destroy();
      dials.push(performance.now() - t);
    }
    console.log('| what | result |');
    console.log('|---|---|');
    console.log(`| node start (namespace, bridge, agent, registration, informers), ms p50 / p90 / max of 3 | ${stats(startMs)} |`);
    console.log(`| pod create → Ready, one container, ms p50 / p90 / max of 20 | ${stats(single)} |`);
    console.log(`| pod create → Ready, init + native sidecar (startup probe, period 1 s) + app, ms of 5 | ${stats(ordered)} |`);
    console.log(`| pod delete → object gone (app exits on SIGTERM), ms of 10 | ${stats(deletion)} |`);
    console.log(`| dialer connect to a pod IP (IPC socket hand-over), ms of 200 | ${stats(dials.map((d) => d * 1000)).split(' / ').map((x) => (Number(x) / 1000).toFixed(2)).join(' / ')} |`);
    console.log(`| test-process RSS per running pod, KB | ${rssPerPodKb.toFixed(0)} |`);
  } finally {
    client.close();
    await node?.stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
