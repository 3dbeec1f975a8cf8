/**
 * CNI mode end to end, as root in network namespaces. A "node" namespace with a bridge; Debian's
 * `bridge` + `host-local` plugins in a conflist; the real `skein cni agent` (from dist/) installs
 * skein-cni and chains it after them; a test runtime (runtime.ts, libcni's behaviour) creates each
 * pod's network with the whole chain, passing pod annotations as containerd does. Pods are what
 * the webhook injects in CNI mode, served by an API server double the agent asks. Marked pods get
 * init-network's exact rules and talk through real `skein proxy` sidecars with mutual TLS; the
 * `skein-validation` command passes there and fails in an uncaptured pod; CHECK, DEL, unmarked
 * pods, malformed input, unknown pods, an agent crash and restart, and the uninstall.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Annotations, ProxyGid, ProxyUid } from '../../api/src/names';
import { FakeApiServer } from '../../operator/src/kube/testing/fake-apiserver';
import { testConfig } from '../../webhook/src/testing';
import { injectPod } from '../../webhook/src/core/inject';
import { type Pod as PodObject } from '../../webhook/src/core/types';
import { containsPlaintext, containsTlsRecords, ManagedProcess, type Mesh, type Pod, useMesh, waitUntil } from '../harness';
import { addSidecar, type MeshWorld, skein, skeinMain, startMeshWorld } from '../mesh/support';
import { describeSystem } from '../support/system';
import { CniPluginError, type Sandbox, TestRuntime } from './runtime';

const tools = ['ip', 'iptables', 'iptables-save', 'nsenter', 'setpriv', 'tcpdump', 'bash', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local'];
const debianPlugins = '/usr/lib/cni';

interface Node {
  confDir: string;
  binDir: string;
  socket: string;
  kubeconfig: string;
  ipamDir: string;
}

/** The primary network, as a cluster's network plugin would have written it before Skein came. */
function primaryNetwork(node: Node, mesh: Mesh) {
  return {
    cniVersion: '1.0.0',
    name: 'skein-test',
    plugins: [{
      type: 'bridge', bridge: mesh.bridge, isGateway: false, ipMasq: false,
      ipam: { type: 'host-local', dataDir: node.ipamDir, ranges: [[{ subnet: '10.77.0.0/24', gateway: '10.77.0.1' }]], routes: [{ dst: '0.0.0.0/0' }] },
    }],
  };
}

/** iptables-save -t nat without counters and comments, for comparing two namespaces' rules. */
const natRules = async (ns: { iptablesSave(table?: string): Promise<string> }) =>
  (await ns.iptablesSave('nat')).split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]')).join('\n');

describeSystem('CNI mode: skein-cni chained after bridge and host-local, the node agent, sidecars with mTLS', () => {
  const api = new FakeApiServer();
  let node: Node;
  let runtime: TestRuntime;
  let agent: ManagedProcess;
  let world: MeshWorld;
  let client: Pod;
  let web: Pod;
  let plain: Pod;
  const sandboxes = new Map<string, Sandbox>();
  const cniConfig = testConfig({ captureMode: 'cni', clusterVersion: '1.30' });

  /** The pod the API server holds: what the webhook made of it in CNI mode, or left alone. */
  function registerPod(name: string, serviceAccount: string, marked: boolean): PodObject {
    const original: PodObject = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: name } },
      spec: { serviceAccountName: serviceAccount, containers: [{ name: 'app', image: 'app:1' }] },
    };
    const pod = marked ? injectPod(original, cniConfig) : original;
    api.put('v1/pods', pod as never);
    return pod;
  }

  function sandboxFor(pod: PodObject, netns: string, address?: string): Sandbox {
    const name = pod.metadata!.name!;
    const sandbox: Sandbox = {
      containerId: `sandbox-${name}`, netns: `/var/run/netns/${netns}`, ifname: 'eth0',
      pod: { namespace: 'default', name, uid: String(pod.metadata!.uid), annotations: pod.metadata!.annotations ?? {} },
      ...(address ? { args: { IP: address } } : {}),
    };
    sandboxes.set(name, sandbox);
    return sandbox;
  }

  /** A pod whose network the runtime creates with the CNI chain (as kubelet would, after the API server has it). */
  async function cniPod(m: Mesh, name: string, options: { marked: boolean; serviceAccount?: string }): Promise<Pod> {
    const object = registerPod(name, options.serviceAccount ?? name, options.marked);
    return m.addPod({ name, labels: { app: name }, serviceAccount: options.serviceAccount ?? name }, {
      attach: async ({ netns, address }) => {
        const result = await runtime.add(sandboxFor(object, netns, address));
        expect((result.ips as Array<{ address: string }>)[0]!.address).toBe(`${address}/24`);
      },
    });
  }

  function startAgent(m: Mesh): ManagedProcess {
    const argv = [process.execPath, skeinMain, 'cni', 'agent', '--conf-dir', node.confDir, '--bin-dir', node.binDir, '--socket', node.socket,
      '--kubeconfig', node.kubeconfig, '--daemonset', 'skein-cni-agent', '--namespace', 'skein-system', '--resync-seconds', '1'];
    // In the host's namespace (it reaches the API double on loopback); it enters pod namespaces by path.
    const proc = new ManagedProcess({ name: 'cni-agent', argv, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp' }, logFile: m.uniqueFile('cni-agent', 'log'), probe: m.node });
    m.track(proc);
    return proc;
  }

  /** What `skein-validation` prints and returns in a pod (run as the proxy's UID, no capability), with its capture flags. */
  async function validate(pod: Pod, flagsJson: string): Promise<{ code: number | null; output: string }> {
    const r = await pod.exec(skein('cni', 'validate', ...(JSON.parse(flagsJson) as string[])), { uid: ProxyUid, gid: ProxyGid, allowFailure: true, timeoutMs: 20_000 });
    return { code: r.code, output: `${r.stdout}${r.stderr}` };
  }
  /** The capture flags the webhook renders for a pod without traffic annotations. */
  let cniFlags = '[]';

  /** A pod namespace on the mesh whose network the test creates later (its sandbox keeps the harness's address). */
  async function podWithoutNetwork(m: Mesh, object: PodObject): Promise<{ pod: Pod; sandbox: Sandbox }> {
    let sandbox: Sandbox | undefined;
    const pod = await m.addPod({ name: object.metadata!.name! }, { attach: async ({ netns, address }) => void (sandbox = sandboxFor(object, netns, address)) });
    return { pod, sandbox: sandbox! };
  }

  const mesh = useMesh({
    setupTimeoutMs: 180_000,
    testTimeoutMs: 90_000,
    setup: async (m) => {
      const server = await api.start();
      api.put('apps/v1/daemonsets', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'skein-cni-agent', namespace: 'skein-system' } });
      node = {
        confDir: path.join(m.dir, 'etc', 'cni', 'net.d'), binDir: path.join(m.dir, 'opt', 'cni', 'bin'),
        socket: path.join(m.dir, 'run', 'skein', 'cni.sock'), kubeconfig: path.join(m.dir, 'kubeconfig'), ipamDir: path.join(m.dir, 'ipam'),
      };
      mkdirSync(node.confDir, { recursive: true });
      writeFileSync(node.confDir + '/10-skein-test.conflist', JSON.stringify(primaryNetwork(node, m), null, 2));
      writeFileSync(node.kubeconfig, [
        'apiVersion: v1', 'kind: Config', 'current-context: t',
        `clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
        `users: [{name: u, user: {token: ${api.token}}}]`,
        'contexts: [{name: t, context: {cluster: c, user: u}}]', '',
      ].join('\n'));
      // A bridge's MAC follows its ports unless set; bridge's CHECK compares it with the ADD result.
      await m.node.exec(['ip', 'link', 'set', m.bridge, 'address', '02:00:0a:4d:00:01']);
      runtime = new TestRuntime({ confDir: node.confDir, binDirs: [node.binDir, debianPlugins], node: m.node });
      agent = startAgent(m);
      await agent.waitForLog(/chained skein-cni into 10-skein-test.conflist/, { timeoutMs: 30_000 });

      client = await cniPod(m, 'client', { marked: true });
      web = await cniPod(m, 'web', { marked: true });
      plain = await cniPod(m, 'plain', { marked: false });
      cniFlags = registerPod('flags', 'x', true).metadata!.annotations![Annotations.cniCapture]!;
      m.labelNamespace('default', { 'skein.dev/inject': 'enabled' });
      m.addService({ name: 'web', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }, { name: 'tcp-echo', port: 7070, targetPort: 7070 }], pods: [web] });
      world = await startMeshWorld(m);
      await web.startEcho({ http: 8080, tcp: 7070 });
    },
  });

  it('the agent installed skein-cni and appended it after bridge (with host-local) in the active conflist', () => {
    expect(readdirSync(node.binDir)).toEqual(['skein-cni']);
    const list = runtime.networkList();
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'skein-cni']);
    expect(list.plugins[1]).toEqual({ type: 'skein-cni', agentSocket: node.socket, capabilities: { 'io.kubernetes.cri.pod-annotations': true } });
    expect(readdirSync(node.confDir)).toEqual(['10-skein-test.conflist']);
  });

  it('ADD gave a marked pod exactly the rules skein init-network writes, and an unmarked pod none', async () => {
    const reference = await mesh().addPod({ name: 'reference' });
    await reference.exec(skein('init-network', ...(JSON.parse(cniFlags) as string[])));
    const expected = await natRules(reference);
    expect(expected).toContain(':SKEIN_OUTPUT');
    expect(await natRules(client)).toBe(expected);
    expect(await natRules(web)).toBe(expected);
    expect(await plain.iptablesSave('nat')).not.toContain('SKEIN');
    expect(await agent.log()).toMatch(/ADD default\/client \(sandbox-clie\): capture rules applied/);
  });

  it('skein-validation (no capability, the proxy UID) passes in a captured pod and fails clearly in an uncaptured one', async () => {
    const ok = await validate(client, sandboxes.get('client')!.pod.annotations[Annotations.cniCapture]!);
    expect(ok).toMatchObject({ code: 0, output: expect.stringMatching(/traffic capture is in place \(a connection to 10\.77\.0\.\d+:15002 reached the inbound capture port 15006\)/) });
    const missing = await validate(plain, cniFlags);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/traffic capture is NOT in place in this pod: a connection to 10\.77\.0\.\d+:15002 was refused .*skein-cni-agent/);
  });

  it('marked pods talk through real sidecars (no init-network run) with mutual TLS; the wire shows only TLS', async () => {
    await Promise.all([client, web].map((p) => addSidecar(mesh(), world, p, { initNetwork: false })));
    const capture = await mesh().captureBridge('tcp');
    const marker = 'SKEIN-CNI-MARKER-51c2';
    const http = await client.client({ protocol: 'http', target: 'http://web/cni', headers: { 'x-marker': marker }, count: 3 });
    const tcp = await client.client({ protocol: 'tcp', target: 'web:7070', message: marker, count: 2 });
    const pcap = await capture.stop();
    expect(http).toMatchObject({ ok: 3, failed: 0 });
    expect(http.first).toMatchObject({ name: 'web', path: '/cni', callerSpiffeId: client.spiffeId });
    expect(tcp).toMatchObject({ ok: 2, failed: 0 });
    expect(containsTlsRecords(pcap)).toBe(true);
    expect(containsPlaintext(pcap, marker)).toBe(false);
  });

  it('CHECK passes for a captured pod and fails with code 102 once a rule is gone', async () => {
    const checked = await cniPod(mesh(), 'checked', { marked: true });
    const sandbox = sandboxes.get('checked')!;
    await runtime.check(sandbox);
    await runtime.check(sandboxes.get('plain')!);
    await checked.exec(['iptables', '-t', 'nat', '-F', 'SKEIN_REDIRECT']);
    const error = await runtime.check(sandbox).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CniPluginError);
    expect(error).toMatchObject({ plugin: 'skein-cni', code: 102, msg: 'the capture rules are not in place', details: expect.stringMatching(/chain SKEIN_REDIRECT has 0 rules, expected 1/) });
  });

  it('DEL removes the capture rules (and bridge takes eth0 away)', async () => {
    const checked = mesh().pod('default', 'checked');
    await runtime.del(sandboxes.get('checked')!);
    expect(await checked.iptablesSave('nat')).not.toContain('SKEIN');
    expect((await checked.exec(['ip', '-o', 'link'])).stdout).not.toContain('eth0');
  });

  it('malformed stdin and an unknown pod are CNI errors and change nothing on the node or in the pod', async () => {
    const m = mesh();
    const { pod: scratch } = await podWithoutNetwork(m, registerPod('scratch', 'scratch', false));
    const snapshot = async () => [
      await natRules(scratch), (await scratch.exec(['ip', '-o', 'addr'])).stdout, (await m.node.exec(['ip', '-o', 'link'])).stdout,
      await m.node.iptablesSave(), readFileSync(path.join(node.confDir, '10-skein-test.conflist'), 'utf8'), readdirSync(node.ipamDir, { recursive: true }).join(),
    ];
    const before = await snapshot();
    const ghost = sandboxFor({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ghost', uid: 'uid-ghost', annotations: {} }, spec: { containers: [] } }, scratch.netns);
    const list = runtime.networkList();
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: ghost.netns }], ips: [] };
    const valid = JSON.stringify(runtime.netconf(list, list.plugins[1]!, ghost, prevResult));

    const malformed = await runtime.exec('skein-cni', 'ADD', ghost, valid.slice(0, 40));
    expect(malformed.code).toBe(1);
    expect(JSON.parse(malformed.stdout)).toMatchObject({ code: 6, msg: 'cannot decode the network configuration on stdin' });
    const unknown = await runtime.exec('skein-cni', 'ADD', ghost, valid);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({ cniVersion: '1.0.0', code: 3, msg: 'pod default/ghost does not exist' });
    expect(await snapshot()).toEqual(before);
  });

  it('an agent crash: running pods keep their capture; marked pods wait (code 11), others start; after the restart ADD works', async () => {
    const m = mesh();
    agent.signal('SIGKILL');
    await agent.exited;
    const during = await client.client({ protocol: 'http', target: 'http://web/while-down', count: 2 });
    expect(during).toMatchObject({ ok: 2, failed: 0 });
    expect(during.first).toMatchObject({ callerSpiffeId: client.spiffeId });

    const late = registerPod('late', 'late', true);
    const { pod: lateNs, sandbox: lateSandbox } = await podWithoutNetwork(m, late);
    const refused = await runtime.add(lateSandbox).catch((e: unknown) => e);
    expect(refused).toMatchObject({ plugin: 'skein-cni', code: 11, msg: expect.stringMatching(/agent is not reachable and this pod is marked/) });
    await runtime.del(lateSandbox); // what kubelet does after a failed ADD, before it retries

    const { pod: otherNs, sandbox: otherSandbox } = await podWithoutNetwork(m, registerPod('late-plain', 'late-plain', false));
    await runtime.add(otherSandbox);
    expect((await otherNs.exec(['ip', '-o', '-4', 'addr', 'show', 'eth0'])).stdout).toMatch(/inet 10\.77\.0\.\d+\/24/);

    agent = startAgent(m);
    await agent.waitForLog(/cni agent: serving/, { timeoutMs: 30_000 });
    expect(await agent.log()).not.toMatch(/chained skein-cni/); // still chained from before: nothing to rewrite
    await runtime.add(lateSandbox);
    expect(await natRules(lateNs)).toContain(':SKEIN_OUTPUT');
    expect((await validate(lateNs, late.metadata!.annotations![Annotations.cniCapture]!)).code).toBe(0);
  });

  it('on SIGTERM with its DaemonSet still there (an upgrade) the agent stays chained; once the DaemonSet is deleted it removes itself', async () => {
    const chained = readFileSync(path.join(node.confDir, '10-skein-test.conflist'), 'utf8');
    expect(await agent.stop()).toEqual({ code: 0, signal: null }); // exits by itself, well within the stop grace
    expect(await agent.log()).toMatch(/skein-cni stays chained/);
    expect(readFileSync(path.join(node.confDir, '10-skein-test.conflist'), 'utf8')).toBe(chained);
    expect(readdirSync(node.binDir)).toEqual(['skein-cni']);

    agent = startAgent(mesh());
    await agent.waitForLog(/cni agent: serving/, { timeoutMs: 30_000 });
    api.remove('apps/v1/daemonsets', 'skein-system', 'skein-cni-agent');
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
    expect(await agent.log()).toMatch(/DaemonSet skein-system\/skein-cni-agent is gone: removing skein-cni/);
    expect(JSON.parse(readFileSync(path.join(node.confDir, '10-skein-test.conflist'), 'utf8'))).toEqual(primaryNetwork(node, mesh()));
    expect(readdirSync(node.binDir)).toEqual([]);
    // Pods keep what they had: their rules live in their own namespaces.
    await waitUntil(async () => (await client.client({ protocol: 'http', target: 'http://web/after-uninstall' })).ok === 1, { what: 'traffic after the uninstall', timeoutMs: 10_000 });
  });

  afterAll(() => api.close());
}, tools);
