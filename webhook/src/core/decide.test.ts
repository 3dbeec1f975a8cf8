import { decide, type ReasonCode, summarize } from './decide';
import { type Labels, type Pod } from './types';

const config = { excludedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease', 'skein-system'] };

function pod({ labels, annotations, hostNetwork, proxy }: { labels?: Labels; annotations?: Labels; hostNetwork?: boolean; proxy?: 'init' | 'container' } = {}): Pod {
  const containers = [{ name: 'app' }, ...(proxy === 'container' ? [{ name: 'skein-proxy' }] : [])];
  const initContainers = proxy === 'init' ? [{ name: 'skein-init' }, { name: 'skein-proxy' }] : [];
  return { metadata: { name: 'p', labels, annotations }, spec: { containers, initContainers, hostNetwork } };
}

const enabled = { 'skein.dev/inject': 'enabled' };
const disabled = { 'skein.dev/inject': 'disabled' };
const optIn = { 'skein.dev/inject': 'true' };
const optOut = { 'skein.dev/inject': 'false' };
const injected = { 'skein.dev/status': '{}' };
const istioOptOut = { 'sidecar.istio.io/inject': 'false' };

describe('decide', () => {
  it.each<[string, Pod, string, Labels | undefined, boolean, ReasonCode[]]>([
    ['namespace enabled', pod(), 'shop', enabled, true, ['NamespaceEnabled']],
    ['pod opt-in, unlabelled namespace', pod({ labels: optIn }), 'shop', {}, true, ['PodOptIn']],
    ['pod opt-in, unknown namespace', pod({ labels: optIn }), 'shop', undefined, true, ['PodOptIn']],
    ['pod opt-in in an enabled namespace', pod({ labels: optIn }), 'shop', enabled, true, ['NamespaceEnabled', 'PodOptIn']],
    ['nothing enabled', pod(), 'shop', {}, false, ['NotEnabled']],
    ['other namespace label value', pod(), 'shop', { 'skein.dev/inject': 'yes' }, false, ['NotEnabled']],
    ['pod opt-out label wins', pod({ labels: optOut }), 'shop', enabled, false, ['PodOptOut', 'NamespaceEnabled']],
    ['pod opt-out annotation wins', pod({ annotations: optOut }), 'shop', enabled, false, ['PodOptOut', 'NamespaceEnabled']],
    ['opt-in annotation is not an opt-in (the webhook selector sees labels only)', pod({ annotations: optIn }), 'shop', {}, false, ['NotEnabled']],
    ['namespace disabled wins over pod opt-in (as Istio)', pod({ labels: optIn }), 'shop', disabled, false, ['NamespaceDisabled', 'PodOptIn']],
    ['hostNetwork', pod({ hostNetwork: true }), 'shop', enabled, false, ['HostNetwork', 'NamespaceEnabled']],
    ['already injected (native)', pod({ annotations: injected, proxy: 'init' }), 'shop', enabled, false, ['AlreadyInjected', 'NamespaceEnabled']],
    ['already injected (classic)', pod({ annotations: injected, proxy: 'container' }), 'shop', enabled, false, ['AlreadyInjected', 'NamespaceEnabled']],
    ['a stale status annotation without the proxy is not "injected"', pod({ annotations: injected }), 'shop', enabled, true, ['NamespaceEnabled']],
    ['kube-system', pod({ labels: optIn }), 'kube-system', enabled, false, ['SystemNamespace', 'NamespaceEnabled', 'PodOptIn']],
    ['kube-public', pod(), 'kube-public', enabled, false, ['SystemNamespace', 'NamespaceEnabled']],
    ['kube-node-lease', pod(), 'kube-node-lease', enabled, false, ['SystemNamespace', 'NamespaceEnabled']],
    ["Skein's own namespace", pod(), 'skein-system', enabled, false, ['SystemNamespace', 'NamespaceEnabled']],
    // Moving from Istio: its opt-out is honoured (label or annotation) unless Skein's own key is on the pod.
    ['Istio opt-out label in an enabled namespace', pod({ labels: istioOptOut }), 'shop', enabled, false, ['IstioOptOut', 'NamespaceEnabled']],
    ['Istio opt-out annotation in an enabled namespace', pod({ annotations: istioOptOut }), 'shop', enabled, false, ['IstioOptOut', 'NamespaceEnabled']],
    ["Skein's own opt-in beside Istio's opt-out: Skein's key decides", pod({ labels: { ...optIn, ...istioOptOut } }), 'shop', {}, true, ['PodOptIn']],
    ["Skein's opt-out and Istio's: reported once, as Skein's", pod({ labels: { ...optOut, ...istioOptOut } }), 'shop', enabled, false, ['PodOptOut', 'NamespaceEnabled']],
    ["Istio's \"true\" is not an opt-in", pod({ labels: { 'sidecar.istio.io/inject': 'true' } }), 'shop', {}, false, ['NotEnabled']],
  ])('%s', (_name, p, ns, labels, inject, codes) => {
    const decision = decide(p, { name: ns, labels }, config);
    expect(decision.inject).toBe(inject);
    expect(decision.reasons.map((r) => r.code)).toEqual(codes);
    for (const r of decision.reasons) expect(r.message).not.toBe('');
  });

  it('summarizes for a log line', () => {
    expect(summarize(decide(pod({ hostNetwork: true }), { name: 'shop', labels: enabled }, config))).toBe('inject=false HostNetwork,NamespaceEnabled');
  });
});
