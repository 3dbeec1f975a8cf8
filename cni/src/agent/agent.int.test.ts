/**
 * The agent's work on the node's files, in temporary directories standing for /etc/cni/net.d and
 * /opt/cni/bin: install and chain, convert a .conf, wait for a network plugin that has not written
 * its configuration yet, repair a rewritten conflist, uninstall; and its socket's permissions.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { InMemoryNodeCluster } from '../cluster';
import { cniCommands } from '../cli';
import { PluginType } from '../names';
import { eventually } from '../testing';
import { pluginEntry, type RunningAgent, startAgent } from './agent';

let root: string;
let confDir: string;
let binDir: string;
let socket: string;
let pluginSource: string;
const running: RunningAgent[] = [];
const logs: string[] = [];

const bridge = { cniVersion: '1.0.0', name: 'k8s-pod-network', plugins: [{ type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.244.1.0/24' } }] };
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const readConf = (name: string) => JSON.parse(readFileSync(path.join(confDir, name), 'utf8')) as { plugins: Array<{ type: string }> };
const types = (name: string) => readConf(name).plugins.map((p) => p.type);

async function agent(resyncMs = 60_000): Promise<RunningAgent> {
  const a = await startAgent({ confDir, binDir, pluginSource, socket, resyncMs }, { handle: async () => ({ exitCode: 0, stdout: '' }), log: (l) => logs.push(l) });
  running.push(a);
  return a;
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'skein-cni-agent-'));
  confDir = path.join(root, 'etc', 'cni', 'net.d');
  binDir = path.join(root, 'opt', 'cni', 'bin');
  socket = path.join(root, 'run', 'skein', 'cni.sock');
  pluginSource = path.join(root, 'image', PluginType);
  mkdirSync(path.dirname(pluginSource), { recursive: true });
  writeFileSync(pluginSource, '#!/bin/sh\necho plugin v1\n');
  mkdirSync(confDir, { recursive: true });
  logs.length = 0;
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
  rmSync(root, { recursive: true, force: true });
});

describe('the node agent on the node\'s files', () => {
  it('installs the plugin (executable, same bytes) and appends itself to the active conflist', async () => {
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json(bridge));
    writeFileSync(path.join(confDir, '99-loopback.conf'), json({ cniVersion: '1.0.0', name: 'lo', type: 'loopback' }));
    await agent();
    const installed = path.join(binDir, PluginType);
    expect(readFileSync(installed, 'utf8')).toBe(readFileSync(pluginSource, 'utf8'));
    expect(statSync(installed).mode & 0o777).toBe(0o755);
    expect(readConf('10-bridge.conflist').plugins).toEqual([...bridge.plugins, pluginEntry(socket)]);
    expect(readFileSync(path.join(confDir, '99-loopback.conf'), 'utf8')).not.toContain(PluginType);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(readdirSync(confDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('turns a single-plugin .conf into a .conflist with the same base name', async () => {
    writeFileSync(path.join(confDir, '10-flannel.conf'), json({ cniVersion: '0.4.0', name: 'cbr0', type: 'flannel', delegate: { isDefaultGateway: true } }));
    await agent();
    expect(readdirSync(confDir)).toEqual(['10-flannel.conflist']);
    expect(readConf('10-flannel.conflist')).toEqual({ cniVersion: '0.4.0', name: 'cbr0', plugins: [{ type: 'flannel', delegate: { isDefaultGateway: true } }, pluginEntry(socket)] });
    expect(logs.join('\n')).toMatch(/chained skein-cni into 10-flannel.conflist \(converted from 10-flannel.conf\)/);
  });

  it('waits for the network plugin\'s configuration and chains as soon as it appears', async () => {
    await agent();
    expect(logs.join('\n')).toMatch(/no CNI configuration .* yet/);
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json(bridge));
    await eventually(() => types('10-bridge.conflist').includes(PluginType), 'the agent to chain the new configuration');
  });

  it('repairs the chain when another component rewrites the conflist, and follows a new first file', async () => {
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json(bridge));
    await agent();
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json({ ...bridge, plugins: [...bridge.plugins, { type: 'portmap' }] }));
    await eventually(() => types('10-bridge.conflist').join() === 'bridge,portmap,skein-cni', 'the agent to repair the rewritten conflist');
    writeFileSync(path.join(confDir, '05-cilium.conflist'), json({ ...bridge, name: 'cilium', plugins: [{ type: 'cilium-cni' }] }));
    await eventually(() => types('05-cilium.conflist').join() === 'cilium-cni,skein-cni', 'the agent to chain into the new first file');
  });

  it('puts back a plugin binary that was removed or replaced, on the next re-check', async () => {
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json(bridge));
    await agent(50);
    rmSync(path.join(binDir, PluginType));
    await eventually(() => existsSync(path.join(binDir, PluginType)), 'the plugin to be reinstalled');
    writeFileSync(path.join(binDir, PluginType), 'tampered');
    await eventually(() => readFileSync(path.join(binDir, PluginType), 'utf8') === readFileSync(pluginSource, 'utf8'), 'the plugin to be restored');
  });

  it('a restart changes nothing; an uninstall leaves the conflist as it was and removes the plugin', async () => {
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json(bridge));
    await (await agent()).stop();
    running.pop();
    const chained = readFileSync(path.join(confDir, '10-bridge.conflist'), 'utf8');
    expect(chained).toContain(PluginType);
    const again = await agent();
    expect(await again.resync()).toEqual({ state: 'unchanged', file: '10-bridge.conflist' });
    expect(readFileSync(path.join(confDir, '10-bridge.conflist'), 'utf8')).toBe(chained);
    await again.stop({ uninstall: true });
    running.pop();
    expect(JSON.parse(readFileSync(path.join(confDir, '10-bridge.conflist'), 'utf8'))).toEqual(bridge);
    expect(existsSync(path.join(binDir, PluginType))).toBe(false);
    expect(existsSync(socket)).toBe(false);
  });

  it('replaces the socket a crashed agent left, but never a file that is not a socket', async () => {
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json(bridge));
    mkdirSync(path.dirname(socket), { recursive: true });
    // A socket file whose listener died without removing it (SIGKILL, OOM).
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socket]);
    expect(statSync(socket).isSocket()).toBe(true);
    await (await agent()).stop();
    running.pop();
    writeFileSync(socket, 'not a socket');
    await expect(agent()).rejects.toThrow(/exists and is not a socket; refusing to replace it/);
  });

  it('an unreadable configuration is reported and nothing is written', async () => {
    writeFileSync(path.join(confDir, '10-bridge.conflist'), '{ broken');
    await expect(agent()).rejects.toThrow(/10-bridge.conflist is not valid JSON/);
    expect(readFileSync(path.join(confDir, '10-bridge.conflist'), 'utf8')).toBe('{ broken');
    expect(existsSync(socket)).toBe(false);
  });
});

describe('skein cni uninstall', () => {
  it('removes the entry from every conflist and the plugin binary', async () => {
    writeFileSync(path.join(confDir, '10-bridge.conflist'), json({ ...bridge, plugins: [...bridge.plugins, pluginEntry('/x.sock')] }));
    writeFileSync(path.join(confDir, '20-old.conflist'), json({ ...bridge, plugins: [pluginEntry('/y.sock')] }));
    mkdirSync(binDir, { recursive: true });
    writeFileSync(path.join(binDir, PluginType), 'x');
    chmodSync(path.join(binDir, PluginType), 0o755);
    const command = cniCommands(() => new InMemoryNodeCluster()).find((c) => c.path.join(' ') === 'cni uninstall')!;
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await command.run(['--conf-dir', confDir, '--bin-dir', binDir], { stdout, stderr: new PassThrough(), stdin: new PassThrough() })).toBe(0);
    expect(readConf('10-bridge.conflist')).toEqual(bridge);
    expect(readConf('20-old.conflist').plugins).toEqual([]);
    expect(existsSync(path.join(binDir, PluginType))).toBe(false);
    expect(out).toMatch(/removed skein-cni from 10-bridge.conflist\n.*removed skein-cni from 20-old.conflist\n.*removed .*skein-cni/);
  });
});
