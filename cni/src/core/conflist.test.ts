import { activeConfFile, chainInto, ConfListError, isChained, type PluginEntry, removeFrom } from './conflist';

const entry: PluginEntry = { type: 'skein-cni', agentSocket: '/var/run/skein/cni.sock', capabilities: { 'io.kubernetes.cri.pod-annotations': true } };
const otherSocket: PluginEntry = { ...entry, agentSocket: '/run/other.sock' };

const bridgeList = {
  cniVersion: '1.0.0',
  name: 'k8s-pod-network',
  plugins: [
    { type: 'bridge', bridge: 'cni0', isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]] } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};
const bridgeConf = { cniVersion: '0.4.0', name: 'mynet', type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.22.0.0/16' } };
const text = (value: unknown) => JSON.stringify(value, null, 2);
const parsed = (t: string) => JSON.parse(t) as { plugins: Array<Record<string, unknown>>; [k: string]: unknown };

describe('activeConfFile: the file the runtime loads', () => {
  it.each([
    [['10-calico.conflist', '99-loopback.conf'], '10-calico.conflist'],
    [['99-loopback.conf', '05-cilium.conflist', 'README'], '05-cilium.conflist'],
    [['10-flannel.conf'], '10-flannel.conf'],
    [['87-podman.json'], '87-podman.json'],
    [['README.md', 'calico-kubeconfig', '.10-x.conflist.123.tmp'], undefined],
    [['.hidden.conflist', '20-b.conflist'], '20-b.conflist'],
    [[], undefined],
  ])('%j → %s', (names, expected) => expect(activeConfFile(names)).toBe(expected));
});

describe('chainInto', () => {
  it('appends Skein after the existing plugins, keeping every other field', () => {
    const result = chainInto({ name: '10-bridge.conflist', text: text(bridgeList) }, entry);
    expect(result.changed).toBe(true);
    expect(result.file.name).toBe('10-bridge.conflist');
    expect(result.replaces).toBeUndefined();
    expect(parsed(result.file.text)).toEqual({ ...bridgeList, plugins: [...bridgeList.plugins, entry] });
  });

  it('is idempotent: a chained file is left as it is (not even reformatted)', () => {
    const once = chainInto({ name: '10-bridge.conflist', text: text(bridgeList) }, entry);
    const twice = chainInto(once.file, entry);
    expect(twice).toEqual({ file: once.file, changed: false });
    expect(isChained(once.file, entry)).toBe(true);
    expect(isChained({ name: '10-bridge.conflist', text: text(bridgeList) }, entry)).toBe(false);
  });

  it('converts a single-plugin .conf into a .conflist of the same base name', () => {
    const result = chainInto({ name: '10-mynet.conf', text: text(bridgeConf) }, entry);
    expect(result).toMatchObject({ changed: true, replaces: '10-mynet.conf', file: { name: '10-mynet.conflist' } });
    const { cniVersion: _v, name: _n, ...plugin } = bridgeConf;
    expect(parsed(result.file.text)).toEqual({ cniVersion: '0.4.0', name: 'mynet', plugins: [plugin, entry] });
  });

  it('a .json single-plugin config is converted too', () => {
    expect(chainInto({ name: '87-podman.json', text: text(bridgeConf) }, entry).file.name).toBe('87-podman.conflist');
  });

  it.each([
    ['another component rewrote the list without Skein', bridgeList.plugins],
    ['Skein is there twice', [...bridgeList.plugins, entry, entry]],
    ['Skein points at another socket', [...bridgeList.plugins, otherSocket]],
  ])('repairs: %s', (_case, plugins) => {
    const result = chainInto({ name: '10-bridge.conflist', text: text({ ...bridgeList, plugins }) }, entry);
    expect(result.changed).toBe(true);
    const after = parsed(result.file.text).plugins;
    expect(after.filter((p) => p.type === 'skein-cni')).toEqual([entry]);
    expect(after[after.length - 1]).toEqual(entry);
    expect(after.filter((p) => p.type !== 'skein-cni')).toEqual(plugins.filter((p) => p.type !== 'skein-cni'));
  });

  it('leaves Skein where it is when another plugin was appended after it (no tug of war over the last place)', () => {
    const file = { name: '10-bridge.conflist', text: text({ ...bridgeList, plugins: [bridgeList.plugins[0]!, entry, bridgeList.plugins[1]!] }) };
    expect(chainInto(file, entry)).toEqual({ file, changed: false });
  });

  it.each([
    ['{ not json', /10-x.conflist is not valid JSON/],
    ['[]', /expected a JSON object/],
    ['{"cniVersion":"1.0.0","name":"n","plugins":{}}', /plugins must be a list of objects/],
    ['{"cniVersion":"1.0.0","name":"n","plugins":["bridge"]}', /plugins must be a list of objects/],
    ['{"name":"n","plugins":[]}', /a conflist needs name and cniVersion/],
    ['{"cniVersion":"1.0.0","name":"n"}', /neither a conflist \(plugins\) nor a plugin config \(type\)/],
    ['{"type":"bridge"}', /a network config needs name and cniVersion/],
  ])('refuses %s with a message naming the file', (content, message) => {
    expect(() => chainInto({ name: '10-x.conflist', text: content }, entry)).toThrow(ConfListError);
    expect(() => chainInto({ name: '10-x.conflist', text: content }, entry)).toThrow(message);
  });
});

describe('removeFrom', () => {
  it('removes every Skein entry and keeps the rest', () => {
    const chained = chainInto({ name: '10-bridge.conflist', text: text(bridgeList) }, entry).file;
    const result = removeFrom({ name: chained.name, text: chained.text.replace('"plugins": [', `"plugins": [${JSON.stringify(otherSocket)},`) });
    expect(result.changed).toBe(true);
    expect(parsed(result.file.text)).toEqual(bridgeList);
  });

  it('leaves a file without Skein, a plugin config and garbage untouched', () => {
    for (const content of [text(bridgeList), text(bridgeConf), 'garbage']) {
      const file = { name: '10-x.conflist', text: content };
      expect(removeFrom(file)).toEqual({ file, changed: false });
    }
  });

  it('chain then remove gives the list back', () => {
    const chained = chainInto({ name: '10-bridge.conflist', text: text(bridgeList) }, entry).file;
    expect(parsed(removeFrom(chained).file.text)).toEqual(bridgeList);
  });
});
