import { credentials, DefaultCapabilities, tweakCapabilities } from './security';
import { type Container, type Pod } from './types';

function pod(podSecurity: NonNullable<Pod['spec']>['securityContext'] = {}): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [], securityContext: podSecurity } };
}
const proxyImage = { user: '1337:1337', primaryGroups: { 0: 0, 1337: 1337 } };

describe('container credentials', () => {
  it('the skein-init container: root with exactly NET_ADMIN and NET_RAW', () => {
    const init: Container = { name: 'skein-init', securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] } } };
    expect(credentials(pod(), init, proxyImage)).toEqual({ uid: 0, gid: 0, groups: [], capabilities: ['NET_ADMIN', 'NET_RAW'], noNewPrivs: true, readOnlyRootFilesystem: false });
  });

  it('the proxy: UID 1337, no capabilities, read-only root', () => {
    const proxy: Container = { name: 'skein-proxy', securityContext: { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } };
    expect(credentials(pod(), proxy, proxyImage)).toMatchObject({ uid: 1337, gid: 1337, capabilities: [], readOnlyRootFilesystem: true });
  });

  it('no securityContext: the image USER and the default capability set', () => {
    expect(credentials(pod(), { name: 'c' }, proxyImage)).toMatchObject({ uid: 1337, gid: 1337, capabilities: [...DefaultCapabilities].sort(), noNewPrivs: false });
    expect(credentials(pod(), { name: 'c' }, { user: '' })).toMatchObject({ uid: 0, gid: 0 });
  });

  it('pod-level settings apply, the container overrides them; runAsUser alone takes the primary group from the image', () => {
    const p = pod({ runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 2000] });
    expect(credentials(p, { name: 'c' }, proxyImage)).toMatchObject({ uid: 1000, gid: 3000, groups: [2000, 4000] });
    expect(credentials(p, { name: 'c', securityContext: { runAsUser: 7 } }, proxyImage)).toMatchObject({ uid: 7, gid: 3000 });
    expect(credentials(pod(), { name: 'c', securityContext: { runAsUser: 1337 } }, proxyImage)).toMatchObject({ uid: 1337, gid: 1337 });
    expect(credentials(pod(), { name: 'c', securityContext: { runAsUser: 55 } }, proxyImage)).toMatchObject({ uid: 55, gid: 0 });
  });

  it.each([
    ['runAsUser 0', pod(), { runAsNonRoot: true, runAsUser: 0 }, { user: '1337' }, "container's runAsUser breaks non-root policy (pod: \"p_ns(u)\", container: c)"],
    ['a root image', pod({ runAsNonRoot: true }), {}, { user: '' }, 'container has runAsNonRoot and image will run as root (pod: "p_ns(u)", container: c)'],
    ['a named image user', pod(), { runAsNonRoot: true }, { user: 'app' }, 'container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root'],
  ])('runAsNonRoot refuses %s', (_name, p, securityContext, image, message) => {
    expect(() => credentials(p, { name: 'c', securityContext }, image)).toThrow(message);
  });

  it('privileged gets every capability', () => {
    expect(credentials(pod(), { name: 'c', securityContext: { privileged: true } }, { user: '' }).capabilities).toContain('SYS_ADMIN');
  });
});

describe('capability tweaks (containerd rules)', () => {
  it.each([
    [[], ['ALL'], []],
    [['NET_ADMIN'], ['ALL'], ['NET_ADMIN']],
    [['CAP_NET_ADMIN', 'net_raw'], ['ALL'], ['NET_ADMIN', 'NET_RAW']],
    [['NET_ADMIN'], ['NET_ADMIN'], [...DefaultCapabilities].sort()],
    [[], ['NET_RAW', 'KILL'], [...DefaultCapabilities].filter((c) => c !== 'NET_RAW' && c !== 'KILL').sort()],
  ])('add %j drop %j', (add, drop, expected) => {
    expect(tweakCapabilities(add, drop)).toEqual(expected);
  });

  it('an unknown capability is an error', () => {
    expect(() => tweakCapabilities(['CAP_FLY'], [])).toThrow('unknown capability "CAP_FLY"');
  });
});
