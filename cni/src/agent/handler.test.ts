import { Annotations } from '../../../api/src/names';
import { type InitNetworkOptions } from '../../../capture/src/flags';
import { InMemoryNodeCluster, type NodeCluster } from '../cluster';
import { ErrorCode } from '../core/spec';
import { type PluginInvocation } from '../core/wire';
import { handleInvocation } from './handler';
import { type NetnsCapture } from './netns';

const netnsPath = '/var/run/netns/cni-1';
const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: netnsPath }], ips: [{ address: '10.22.0.5/16', interface: 0 }] };
const flags = ['--proxy-uid', '1337', '--proxy-gid', '1337', '--exclude-inbound-ports', '15020,15021,15090', '--include-inbound-ports', '*', '--include-outbound-cidrs', '*'];

function invocation(command: string, pod = 'cart', stdin: string = JSON.stringify({ cniVersion: '1.0.0', name: 'net', type: 'skein-cni', prevResult })): PluginInvocation {
  return { command, containerId: 'c0ffee', netns: netnsPath, ifname: 'eth0', args: `K8S_POD_NAMESPACE=shop;K8S_POD_NAME=${pod}`, path: '/opt/cni/bin', stdin: Buffer.from(stdin) };
}

interface FakeNetns extends NetnsCapture {
  calls: string[];
}

function fakeNetns(options: { exists?: boolean; applyFails?: string; problems?: string[]; cleanupFails?: string } = {}): FakeNetns {
  const calls: string[] = [];
  return {
    calls,
    exists: async () => options.exists ?? true,
    async apply(netns: string, o: InitNetworkOptions) {
      calls.push(`apply ${netns} uid=${o.config.proxyUid}`);
      if (options.applyFails) throw new Error(options.applyFails);
      return [{ family: 'ipv4', tool: 'iptables-restore', script: '*nat\nCOMMIT\n' }];
    },
    async check(netns: string) {
      calls.push(`check ${netns}`);
      return options.problems ?? [];
    },
    async cleanup(netns: string) {
      calls.push(`cleanup ${netns}`);
      if (options.cleanupFails) throw new Error(options.cleanupFails);
      return [];
    },
  };
}

function cluster(): InMemoryNodeCluster {
  const c = new InMemoryNodeCluster();
  c.pods.set('shop/cart', { uid: 'u1', annotations: { [Annotations.cniCapture]: JSON.stringify(flags) } });
  c.pods.set('shop/plain', { uid: 'u2', annotations: {} });
  c.pods.set('shop/broken', { uid: 'u3', annotations: { [Annotations.cniCapture]: '["--proxy-uid","0"]' } });
  return c;
}

const unreachable: Pick<NodeCluster, 'pod'> = { pod: () => Promise.reject(new Error('connect ECONNREFUSED 10.96.0.1:443')) };
const hanging: Pick<NodeCluster, 'pod'> = { pod: () => new Promise(() => undefined) };

async function run(inv: PluginInvocation, netns: NetnsCapture, c: Pick<NodeCluster, 'pod'> = cluster()) {
  const lines: string[] = [];
  const outcome = await handleInvocation(inv, { cluster: c, netns, log: (l) => lines.push(l), lookupTimeoutMs: 50 });
  const body = outcome.stdout === '' ? undefined : (JSON.parse(outcome.stdout) as Record<string, unknown>);
  return { exitCode: outcome.exitCode, body, lines };
}

describe('the agent answering the plugin', () => {
  it('ADD of a marked pod applies its capture and prints prevResult unchanged', async () => {
    const netns = fakeNetns();
    const r = await run(invocation('ADD'), netns);
    expect(r).toMatchObject({ exitCode: 0, body: prevResult });
    expect(netns.calls).toEqual([`apply ${netnsPath} uid=1337`]);
    expect(r.lines.join('\n')).toMatch(/ADD shop\/cart \(c0ffee\): capture rules applied \(iptables-restore\)/);
  });

  it('ADD of a pod without the annotation changes nothing and prints prevResult', async () => {
    const netns = fakeNetns();
    expect(await run(invocation('ADD', 'plain'), netns)).toMatchObject({ exitCode: 0, body: prevResult });
    expect(netns.calls).toEqual([]);
  });

  it('ADD of a container that is not a pod is not looked up', async () => {
    const netns = fakeNetns();
    expect(await run({ ...invocation('ADD'), args: '' }, netns, unreachable)).toMatchObject({ exitCode: 0, body: prevResult });
    expect(netns.calls).toEqual([]);
  });

  it.each<[string, PluginInvocation, Parameters<typeof fakeNetns>[0], Pick<NodeCluster, 'pod'> | undefined, number, RegExp]>([
    ['an unknown pod', invocation('ADD', 'ghost'), {}, undefined, ErrorCode.unknownContainer, /pod shop\/ghost does not exist/],
    ['an API server that cannot be reached', invocation('ADD'), {}, unreachable, ErrorCode.tryAgainLater, /cannot look up pod shop\/cart.*ECONNREFUSED/],
    ['an API server that does not answer', invocation('ADD'), {}, hanging, ErrorCode.tryAgainLater, /pod lookup: no answer within 50 ms/],
    ['a bad capture annotation', invocation('ADD', 'broken'), {}, undefined, ErrorCode.badCaptureAnnotation, /annotation cni.skein.dev\/capture is invalid.*--proxy-uid/],
    ['a namespace that is gone', invocation('ADD'), { exists: false }, undefined, ErrorCode.unknownContainer, /network namespace does not exist/],
    ['malformed stdin', invocation('ADD', 'cart', '{"cniVersion":'), {}, undefined, ErrorCode.decodeFailure, /cannot decode/],
  ])('ADD with %s is a CNI error and touches no namespace', async (_name, inv, netnsOptions, c, code, message) => {
    const netns = fakeNetns(netnsOptions);
    const r = await run(inv, netns, c);
    expect(r.exitCode).toBe(1);
    expect(r.body).toMatchObject({ cniVersion: '1.0.0', code });
    expect(`${r.body!.msg as string}: ${(r.body!.details as string | undefined) ?? ''}`).toMatch(message);
    expect(netns.calls).toEqual([]);
  });

  it('ADD whose rules do not apply fails with iptables\' message (code 100)', async () => {
    const r = await run(invocation('ADD'), fakeNetns({ applyFails: 'iptables-restore: line 3 failed' }));
    expect(r).toMatchObject({ exitCode: 1, body: { code: ErrorCode.captureFailed, details: 'iptables-restore: line 3 failed' } });
  });

  it('CHECK passes when the rules are in place, and names what is missing otherwise', async () => {
    expect(await run(invocation('CHECK'), fakeNetns())).toEqual({ exitCode: 0, body: undefined, lines: [] });
    const r = await run(invocation('CHECK'), fakeNetns({ problems: ['ipv4: chain SKEIN_OUTPUT is missing'] }));
    expect(r).toMatchObject({ exitCode: 1, body: { code: ErrorCode.captureMissing, details: 'ipv4: chain SKEIN_OUTPUT is missing' } });
  });

  it('CHECK of an unmarked pod looks at nothing', async () => {
    const netns = fakeNetns({ problems: ['everything'] });
    expect((await run(invocation('CHECK', 'plain'), netns)).exitCode).toBe(0);
    expect(netns.calls).toEqual([]);
  });

  it('DEL removes Skein\'s rules without asking the API server (the pod may be gone)', async () => {
    const netns = fakeNetns();
    expect(await run(invocation('DEL', 'ghost'), netns, unreachable)).toEqual({ exitCode: 0, body: undefined, lines: [] });
    expect(netns.calls).toEqual([`cleanup ${netnsPath}`]);
  });

  it('DEL of a namespace that is gone, or without one, succeeds and does nothing', async () => {
    const netns = fakeNetns({ exists: false });
    expect((await run(invocation('DEL'), netns)).exitCode).toBe(0);
    expect((await run({ ...invocation('DEL'), netns: '' }, netns)).exitCode).toBe(0);
    expect(netns.calls).toEqual([]);
  });

  it('DEL whose cleanup fails is an I/O error, so the runtime retries it', async () => {
    const r = await run(invocation('DEL'), fakeNetns({ cleanupFails: 'xtables lock' }));
    expect(r).toMatchObject({ exitCode: 1, body: { code: ErrorCode.ioFailure, details: 'xtables lock' } });
  });
});
