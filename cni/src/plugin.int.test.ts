/**
 * The plugin shim as a container runtime runs it (CNI_* environment, network configuration on
 * stdin, result on stdout, exit code), against the agent's real socket server — and without it.
 * No root needed: the agent's namespace work is a fake here (e2e/cni/cni.sys.test.ts does it for real).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Annotations } from '../../api/src/names';
import { listenAgentSocket, type AgentSocket } from './agent/server';
import { ErrorCode, SupportedVersions } from './core/spec';
import { type PluginInvocation, type PluginOutcome } from './core/wire';
import { DefaultAgentSocket } from './names';
import { buildPlugin } from './testing';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let plugin: string;
let dir: string;

/** Runs the plugin like libcni does: a clean environment with the CNI_* variables and stdin. */
function runPlugin(env: Record<string, string>, stdin: string | Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(plugin, [], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: '0a:58:0a:f4:01:05', sandbox: '/var/run/netns/cni-1' }], ips: [{ address: '10.244.1.5/24', gateway: '10.244.1.1', interface: 0 }] };
const env = (command: string) => ({
  CNI_COMMAND: command, CNI_CONTAINERID: 'c0ffee0123', CNI_NETNS: '/var/run/netns/cni-1', CNI_IFNAME: 'eth0',
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart', CNI_PATH: '/opt/cni/bin',
});
const netconf = (socket: string, extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'skein-cni', agentSocket: socket, ...extra, prevResult });
/** What containerd adds when the plugin declares the pod-annotations capability. */
const withAnnotations = (annotations: Record<string, string>) => ({ runtimeConfig: { 'io.kubernetes.cri.pod-annotations': annotations } });

beforeAll(() => {
  plugin = buildPlugin();
  dir = mkdtempSync(path.join(tmpdir(), 'skein-cni-plugin-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('skein-cni with the agent', () => {
  let socket: AgentSocket;
  const seen: PluginInvocation[] = [];
  let answer: PluginOutcome = { exitCode: 0, stdout: '' };

  beforeAll(async () => {
    socket = await listenAgentSocket(path.join(dir, 'agent', 'cni.sock'), async (request) => {
      seen.push(request);
      return answer;
    }, () => undefined);
  });
  afterAll(() => socket.close());

  it('forwards the environment and stdin exactly and relays the agent\'s stdout and exit code', async () => {
    answer = { exitCode: 0, stdout: `${JSON.stringify(prevResult)}\n` };
    const stdin = netconf(socket.path, { note: 'ünïcode "quoted" \\ backslash' });
    const r = await runPlugin(env('ADD'), stdin);
    expect(r).toEqual({ code: 0, stdout: answer.stdout, stderr: '' });
    expect(seen.at(-1)).toEqual({
      command: 'ADD', containerId: 'c0ffee0123', netns: '/var/run/netns/cni-1', ifname: 'eth0',
      args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart', path: '/opt/cni/bin', stdin: Buffer.from(stdin),
    });
  });

  it('an error from the agent is the plugin\'s error: same JSON, same exit code', async () => {
    answer = { exitCode: 1, stdout: '{"cniVersion":"1.0.0","code":3,"msg":"pod shop/cart does not exist"}\n' };
    expect(await runPlugin(env('ADD'), netconf(socket.path))).toEqual({ code: 1, stdout: answer.stdout, stderr: '' });
  });

  it('VERSION is answered without asking the agent', async () => {
    const before = seen.length;
    const r = await runPlugin({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: '1.0.0', supportedVersions: SupportedVersions });
    expect(seen.length).toBe(before);
  });
});

describe('skein-cni without the agent', () => {
  const missing = () => path.join(dir, 'no-agent.sock');
  const errorOf = (r: Run) => JSON.parse(r.stdout) as { code: number; msg: string; details?: string };

  it('ADD of an unmarked pod passes prevResult through unchanged', async () => {
    const r = await runPlugin(env('ADD'), netconf(missing(), withAnnotations({ team: 'payments' })));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(prevResult);
    expect(r.stderr).toMatch(/ADD without the agent .*not marked for capture/);
  });

  it('ADD and CHECK of a marked pod fail closed with "try again later" (code 11)', async () => {
    for (const command of ['ADD', 'CHECK']) {
      const r = await runPlugin(env(command), netconf(missing(), withAnnotations({ [Annotations.cniCapture]: '["--proxy-uid","1337"]' })));
      expect(r.code).toBe(1);
      expect(errorOf(r)).toMatchObject({ code: ErrorCode.tryAgainLater, msg: expect.stringMatching(/agent is not reachable and this pod is marked/), details: expect.stringContaining(missing()) });
    }
  });

  it('CHECK of an unmarked pod and every DEL succeed with no output', async () => {
    expect(await runPlugin(env('CHECK'), netconf(missing()))).toMatchObject({ code: 0, stdout: '' });
    expect(await runPlugin(env('DEL'), netconf(missing(), withAnnotations({ [Annotations.cniCapture]: '[]' })))).toMatchObject({ code: 0, stdout: '' });
  });

  it.each<[string, Record<string, string>, string | Buffer, number, RegExp]>([
    ['malformed stdin', env('ADD'), '{"cniVersion":"1.0.0",', ErrorCode.decodeFailure, /cannot decode/],
    ['no prevResult (not chained)', env('ADD'), JSON.stringify({ cniVersion: '1.0.0', name: 'n', agentSocket: '/nonexistent.sock' }), ErrorCode.invalidConfig, /chained after an interface plugin/],
    ['no CNI_COMMAND', {}, '{}', ErrorCode.invalidEnvironment, /CNI_COMMAND is not set/],
    ['an unknown CNI_COMMAND', { CNI_COMMAND: 'ATTACH' }, '{}', ErrorCode.invalidEnvironment, /CNI_COMMAND must be/],
    ['stdin over 4 MiB', env('ADD'), Buffer.alloc((4 << 20) + 1, 32), ErrorCode.ioFailure, /at most 4 MiB/],
  ])('%s is the spec error', async (_name, environment, stdin, code, msg) => {
    const r = await runPlugin(environment, stdin);
    expect(r.code).toBe(1);
    expect(errorOf(r)).toMatchObject({ code, msg: expect.stringMatching(msg) });
  });

  it('without agentSocket in the configuration it uses the default socket, the same as the agent\'s', async () => {
    const stdin = JSON.stringify({ cniVersion: '1.0.0', name: 'n', prevResult, runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { [Annotations.cniCapture]: '[]' } } });
    const r = await runPlugin(env('ADD'), stdin);
    expect(errorOf(r).details).toBe(`${DefaultAgentSocket}: No such file or directory`);
  });

  it('an agent that hangs up without answering is "try again later"', async () => {
    const socketPath = path.join(dir, 'rude.sock');
    const rude = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => rude.listen(socketPath, resolve));
    try {
      const r = await runPlugin(env('ADD'), netconf(socketPath));
      expect(r.code).toBe(1);
      expect(errorOf(r)).toMatchObject({ code: ErrorCode.tryAgainLater, msg: expect.stringMatching(/did not answer/) });
    } finally {
      rude.close();
    }
  });
});
