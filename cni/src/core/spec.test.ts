import { checkInvocation, ErrorCode, isNetnsPath, parseCniArgs, SupportedVersions, versionAtLeast } from './spec';
import { decodeInvocation, decodeOutcome, encodeInvocation, encodeOutcome, type PluginInvocation } from './wire';

const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/cni-1' }], ips: [{ address: '10.22.0.5/16', interface: 0 }] };
const config = { cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'skein-cni', agentSocket: '/var/run/skein/cni.sock', prevResult };

function invocation(overrides: Partial<PluginInvocation> = {}, stdin: unknown = config): PluginInvocation {
  return {
    command: 'ADD', containerId: 'a1b2c3d4e5f6', netns: '/var/run/netns/cni-1', ifname: 'eth0',
    args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart-7d9;K8S_POD_INFRA_CONTAINER_ID=a1b2c3d4e5f6;K8S_POD_UID=0c1d-uid',
    path: '/opt/cni/bin', stdin: Buffer.from(typeof stdin === 'string' ? stdin : JSON.stringify(stdin)), ...overrides,
  };
}

const errorOf = (inv: PluginInvocation) => {
  const checked = checkInvocation(inv);
  if (!('outcome' in checked)) throw new Error('expected an outcome');
  return { exitCode: checked.outcome.exitCode, ...(JSON.parse(checked.outcome.stdout) as { cniVersion: string; code: number; msg: string; details?: string }) };
};

describe('checkInvocation', () => {
  it('an ADD as kubelet makes it becomes a call with the pod and prevResult', () => {
    expect(checkInvocation(invocation())).toEqual({
      call: {
        command: 'ADD', cniVersion: '1.0.0', containerId: 'a1b2c3d4e5f6', netns: '/var/run/netns/cni-1', ifname: 'eth0',
        pod: { namespace: 'shop', name: 'cart-7d9', uid: '0c1d-uid' }, prevResult,
      },
    });
  });

  it('VERSION lists the supported versions, whatever stdin holds', () => {
    for (const stdin of ['{"cniVersion":"1.0.0"}', '', 'garbage']) {
      const checked = checkInvocation(invocation({ command: 'VERSION' }, stdin));
      expect(checked).toEqual({ outcome: { exitCode: 0, stdout: `${JSON.stringify({ cniVersion: '1.0.0', supportedVersions: SupportedVersions })}\n` } });
    }
  });

  it.each(['STATUS', 'GC'])('%s (CNI 1.1) succeeds with no output', (command) => {
    expect(checkInvocation(invocation({ command }))).toEqual({ outcome: { exitCode: 0, stdout: '' } });
  });

  it('a container that is not a Kubernetes pod has no pod', () => {
    const checked = checkInvocation(invocation({ args: '' }));
    expect('call' in checked && checked.call.pod).toBeUndefined();
  });

  it('DEL needs neither a netns nor a prevResult', () => {
    const { prevResult: _p, ...withoutPrev } = config;
    const checked = checkInvocation(invocation({ command: 'DEL', netns: '' }, withoutPrev));
    expect(checked).toMatchObject({ call: { command: 'DEL', netns: undefined, prevResult: undefined } });
  });

  it('older configuration versions are accepted and answered in their version', () => {
    const checked = checkInvocation(invocation({}, { ...config, cniVersion: '0.3.1', prevResult: { cniVersion: '0.3.1', ips: [] } }));
    expect(checked).toMatchObject({ call: { cniVersion: '0.3.1' } });
    expect(errorOf(invocation({ command: 'CHECK' }, { ...config, cniVersion: '0.3.1' }))).toMatchObject({ cniVersion: '0.3.1', code: ErrorCode.incompatibleVersion });
  });

  it.each<[string, Partial<PluginInvocation>, unknown, number, RegExp]>([
    ['an unknown command', { command: 'ATTACH' }, config, ErrorCode.invalidEnvironment, /CNI_COMMAND must be/],
    ['no command', { command: '' }, config, ErrorCode.invalidEnvironment, /CNI_COMMAND must be/],
    ['stdin that is not JSON', {}, '{"cniVersion": "1.0.0", ', ErrorCode.decodeFailure, /cannot decode the network configuration/],
    ['stdin that is a JSON list', {}, [], ErrorCode.decodeFailure, /not a JSON object/],
    ['no cniVersion', {}, { ...config, cniVersion: undefined }, ErrorCode.invalidConfig, /no cniVersion/],
    ['an unsupported cniVersion', {}, { ...config, cniVersion: '2.0.0' }, ErrorCode.incompatibleVersion, /cniVersion 2.0.0 is not supported/],
    ['no network name', {}, { ...config, name: '' }, ErrorCode.invalidConfig, /no name/],
    ['no container id', { containerId: '' }, config, ErrorCode.invalidEnvironment, /CNI_CONTAINERID must be set/],
    ['a container id with a slash', { containerId: '../etc' }, config, ErrorCode.invalidEnvironment, /CNI_CONTAINERID/],
    ['no interface name', { ifname: '' }, config, ErrorCode.invalidEnvironment, /CNI_IFNAME/],
    ['an interface name too long', { ifname: 'a-very-long-ifname' }, config, ErrorCode.invalidEnvironment, /CNI_IFNAME/],
    ['ADD without a netns', { netns: '' }, config, ErrorCode.invalidEnvironment, /CNI_NETNS must be set for ADD/],
    ['a netns outside the runtime dirs', { netns: '/etc/passwd' }, config, ErrorCode.invalidEnvironment, /not a network namespace path/],
    ['a netns path escaping its dir', { netns: '/var/run/netns/../../etc/x' }, config, ErrorCode.invalidEnvironment, /not a network namespace path/],
    ['CNI_ARGS without =', { args: 'K8S_POD_NAME' }, config, ErrorCode.invalidEnvironment, /CNI_ARGS: "K8S_POD_NAME" is not KEY=VALUE/],
    ['ADD without prevResult (not chained)', {}, { ...config, prevResult: undefined }, ErrorCode.invalidConfig, /must be chained after an interface plugin/],
    ['a prevResult that is not an object', {}, { ...config, prevResult: 'x' }, ErrorCode.invalidConfig, /prevResult is not an object/],
  ])('%s is the spec error %#', (_name, overrides, stdin, code, msg) => {
    const error = errorOf(invocation(overrides, stdin));
    expect(error.exitCode).not.toBe(0);
    expect(error.code).toBe(code);
    expect(`${error.msg} ${error.details ?? ''}`).toMatch(msg);
  });
});

describe('CNI helpers', () => {
  it('parses CNI_ARGS', () => {
    expect(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=a=b;;X=')).toEqual({ IgnoreUnknown: '1', K8S_POD_NAME: 'a=b', X: '' });
    expect(parseCniArgs('=x')).toEqual({ error: 'CNI_ARGS: "=x" is not KEY=VALUE' });
  });

  it.each([
    ['/var/run/netns/cni-0a1b', true], ['/run/netns/skh1x0-default.web', true], ['/proc/4242/ns/net', true],
    ['/var/run/netns/', false], ['/var/run/netns/a/b', false], ['/proc/self/ns/net', false], ['relative/netns', false], ['/var/run/netns/..', false],
  ])('netns path %s → %s', (path, ok) => expect(isNetnsPath(path)).toBe(ok));

  it.each([['1.0.0', '0.4.0', true], ['0.4.0', '0.4.0', true], ['0.3.1', '0.4.0', false], ['1.1.0', '1.0.0', true]])('%s >= %s: %s', (a, b, r) => expect(versionAtLeast(a, b)).toBe(r));
});

describe('wire format', () => {
  it('a request and an answer survive the round trip byte for byte', () => {
    const request = invocation({}, 'stdin with "quotes", ünicode and \u0000 bytes');
    expect(decodeInvocation(encodeInvocation(request))).toEqual(request);
    expect(decodeOutcome(encodeOutcome({ exitCode: 1, stdout: '{"code":11}\n' }))).toEqual({ exitCode: 1, stdout: '{"code":11}\n' });
  });

  it.each([
    ['not ours', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /not a skein-cni request/],
    ['truncated', encodeInvocation(invocation()).subarray(0, 40), /truncated request/],
    ['trailing bytes', Buffer.concat([encodeInvocation(invocation()), Buffer.from('x')]), /trailing bytes/],
  ])('a malformed request (%s) is named', (_name, bytes, message) => {
    const decoded = decodeInvocation(bytes);
    expect('error' in decoded && decoded.error).toMatch(message);
  });

  it('an incomplete answer is not an answer', () => {
    expect(decodeOutcome(encodeOutcome({ exitCode: 0, stdout: 'abc' }).subarray(0, 9))).toBeUndefined();
  });
});
