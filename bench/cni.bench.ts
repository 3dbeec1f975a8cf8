/**
 * `npm run bench cni` (root): what CNI mode costs when a pod starts. The plugin shim is run as a
 * runtime runs it (CNI_* environment, configuration with prevResult on stdin) against the real
 * `skein cni agent` (from dist/), which asks an API server double on loopback and writes the rules
 * with nsenter in a fresh network namespace per round:
 * - ADD / CHECK / DEL of a marked pod, ADD of an unmarked pod (wall time of the plugin process);
 * - the plugin alone: VERSION, and ADD of an unmarked pod while the agent is down (pass-through);
 * - the agent's resident memory after the rounds.
 * Compare with `npm run bench capture` (skein init-network in the pod).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Annotations } from '../api/src/names';
import { FakeApiServer } from '../operator/src/kube/testing/fake-apiserver';
import { injectPod } from '../webhook/src/core/inject';
import { defaultInjectionConfig, parseInjectionConfig } from '../webhook/src/core/config';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'cli', 'src', 'main.js');
const plugin = path.join(root, '..', 'cni', 'native', 'build', 'skein-cni');
const rounds = 20;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Runs the plugin once; resolves with its wall time, failing loudly on an unexpected exit code.
 * Asynchronous: the API server double answers the agent from this very process.
 */
function invoke(command: string, netns: string, pod: string, stdin: string, expectCode = 0): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn(plugin, [], {
    env: {
      PATH: process.env.PATH, CNI_COMMAND: command, CNI_CONTAINERID: `bench-${pod}`, CNI_NETNS: `/var/run/netns/${netns}`, CNI_IFNAME: 'eth0',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=${pod}`, CNI_PATH: '/opt/cni/bin',
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin.on('error', () => undefined); // VERSION exits without reading stdin
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const took = ms(start);
      if (code === expectCode) resolve(took);
      else reject(new Error(`${command} ${pod}: exit ${code}: ${output}`));
    });
  });
}

/** `count` sequential runs of `fn`. */
async function repeat(count: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await fn());
  return out;
}

export async function run(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the CNI benchmark needs root (network namespaces, iptables, nsenter)');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'skein-cni-bench-'));
  const api = new FakeApiServer();
  const namespaces: string[] = [];
  let agent: ReturnType<typeof spawn> | undefined;
  try {
    const server = await api.start();
    const config = parseInjectionConfig({ captureMode: 'cni', image: 'skein:bench' }, defaultInjectionConfig('bench'));
    const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'bench', uid: `uid-${name}` }, spec: { containers: [{ name: 'app', image: 'app' }] } });
    const marked = injectPod(pod('marked'), config);
    api.put('v1/pods', marked as never);
    api.put('v1/pods', pod('plain') as never);
    const socket = path.join(dir, 'run', 'cni.sock');
    mkdirSync(path.join(dir, 'net.d'), { recursive: true });
    writeFileSync(path.join(dir, 'net.d', '10-bench.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'bench', plugins: [{ type: 'bridge' }] }));
    writeFileSync(path.join(dir, 'kubeconfig'), `apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: ${api.token}}}]\ncontexts: [{name: t, context: {cluster: c, user: u}}]\n`);
    agent = spawn(process.execPath, [cli, 'cni', 'agent', '--conf-dir', path.join(dir, 'net.d'), '--bin-dir', path.join(dir, 'bin'), '--socket', socket, '--kubeconfig', path.join(dir, 'kubeconfig')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!log.includes('cni agent: serving')) {
      if (Date.now() > deadline) throw new Error(`the agent did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], ips: [] };
    const stdin = (annotations: Record<string, string>) => JSON.stringify({
      cniVersion: '1.0.0', name: 'bench', type: 'skein-cni', agentSocket: socket, prevResult,
      runtimeConfig: { 'io.kubernetes.cri.pod-annotations': annotations },
    });
    const times = { add: [] as number[], check: [] as number[], del: [] as number[], plain: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      const ns = `skcni-bench-${process.pid}-${i}`;
      execFileSync('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      times.plain.push(await invoke('ADD', ns, 'plain', stdin({})));
      times.add.push(await invoke('ADD', ns, 'marked', stdin(marked.metadata!.annotations!)));
      times.check.push(await invoke('CHECK', ns, 'marked', stdin(marked.metadata!.annotations!)));
      times.del.push(await invoke('DEL', ns, 'marked', stdin(marked.metadata!.annotations!)));
    }
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))?.[1] ?? 0);
    agent.kill('SIGTERM');
    await new Promise((resolve) => agent!.once('exit', resolve));
    agent = undefined;
    const version = await repeat(rounds, () => invoke('VERSION', namespaces[0]!, 'plain', '{"cniVersion":"1.0.0"}'));
    const passThrough = await repeat(rounds, () => invoke('ADD', namespaces[0]!, 'plain', stdin({})));
    const markedDown = await invoke('ADD', namespaces[0]!, 'marked', stdin({ [Annotations.cniCapture]: '[]' }), 1);
    console.table([
      { measure: `ADD, marked pod: lookup + rules via nsenter (ms, median of ${rounds})`, value: median(times.add).toFixed(1) },
      { measure: 'CHECK, marked pod (ms, median)', value: median(times.check).toFixed(1) },
      { measure: 'DEL, marked pod: rules removed (ms, median)', value: median(times.del).toFixed(1) },
      { measure: 'ADD, unmarked pod: lookup only (ms, median)', value: median(times.plain).toFixed(1) },
      { measure: 'VERSION, the plugin alone (ms, median)', value: median(version).toFixed(2) },
      { measure: 'ADD, unmarked, agent down: pass-through (ms, median)', value: median(passThrough).toFixed(2) },
      { measure: 'ADD, marked, agent down: refused, code 11 (ms)', value: markedDown.toFixed(2) },
      { measure: `agent RSS after ${rounds * 4} requests (MiB)`, value: (rssKb / 1024).toFixed(1) },
    ]);
  } finally {
    agent?.kill('SIGKILL');
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
