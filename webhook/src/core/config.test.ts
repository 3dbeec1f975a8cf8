import { defaultInjectionConfig, parseInjectionConfig } from './config';
import { useNativeSidecar } from './kube-version';

const defaults = defaultInjectionConfig('1.2.3');

describe('parseInjectionConfig', () => {
  it('keeps defaults for absent fields and takes given ones', () => {
    expect(parseInjectionConfig(undefined, defaults)).toBe(defaults);
    const c = parseInjectionConfig({ image: 'r/skein:x', nativeSidecars: 'on', resources: { limits: { memory: '2Gi' } } }, defaults);
    expect(c.image).toBe('r/skein:x');
    expect(c.nativeSidecars).toBe('on');
    expect(c.captureMode).toBe('init');
    expect(parseInjectionConfig({ captureMode: 'cni' }, defaults).captureMode).toBe('cni');
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '2Gi' } });
    expect(c.excludedNamespaces).toEqual(['kube-system', 'kube-public', 'kube-node-lease', 'skein-system']);
    expect(defaults.image).toBe('ghcr.io/skein-mesh/skein:1.2.3');
  });

  it.each([
    [[], /expected a mapping/],
    [{ imagee: 'x' }, /imagee: unknown field/],
    [{ image: '' }, /image: expected a non-empty string/],
    [{ nativeSidecars: 'yes' }, /nativeSidecars: expected one of auto, on, off/],
    [{ captureMode: 'ebpf' }, /captureMode: expected one of init, cni, got "ebpf"/],
    [{ imagePullPolicy: 'always' }, /imagePullPolicy: expected one of/],
    [{ clusterVersion: 'latest' }, /clusterVersion: "latest" is not a Kubernetes version/],
    [{ proxyArgs: [] }, /proxyArgs: expected a non-empty list/],
    [{ proxyArgs: ['proxy', 1] }, /proxyArgs: expected/],
    [{ resources: { requests: { cpu: 'lots' } } }, /resources.requests.cpu: "lots" is not a Kubernetes quantity/],
    [{ resources: { requests: { gpu: '1' } } }, /resources.requests.gpu: unknown resource/],
    [{ resources: { wants: {} } }, /resources.wants: unknown field/],
    [{ tokenExpirationSeconds: 60 }, /tokenExpirationSeconds: expected an integer >= 600/],
  ])('%j is refused with a message naming the field', (raw, message) => {
    expect(() => parseInjectionConfig(raw, defaults)).toThrow(message);
  });
});

describe('useNativeSidecar', () => {
  it.each<['auto' | 'on' | 'off', string | undefined, boolean]>([
    ['auto', undefined, false],
    ['auto', '1.28', false],
    ['auto', 'v1.28.9', false],
    ['auto', '1.29', true],
    ['auto', 'v1.29.0-eks-1', true],
    ['auto', '1.31.2', true],
    ['auto', '2.0', true],
    ['on', undefined, true],
    ['on', '1.27', true],
    ['off', '1.31', false],
  ])('%s with cluster %s → %s', (mode, version, native) => expect(useNativeSidecar(mode, version)).toBe(native));
});
