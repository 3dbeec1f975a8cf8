/**
 * Injection in CNI mode (captureMode: cni): no container with NET_ADMIN, NET_RAW or root; the
 * capture flags travel in the cni.skein.dev/capture annotation; an unprivileged skein-validation
 * init container checks the capture; the injected pod passes Pod Security `restricted`. The init
 * mode, for comparison, fails `baseline` (and so `restricted`) because of skein-init.
 */
import { Annotations, Containers } from '../../../api/src/names';
import { testConfig } from '../testing';
import { captureFlags, captureSettings } from './capture';
import { injectPod, type InjectionStatus } from './inject';
import { checkPodSecurity, type Violation } from './pod-security';
import { type Container, type Pod } from './types';

/** An app that itself passes `restricted` (what a namespace enforcing it admits). */
function restrictedApp(annotations: Record<string, string> = {}): Pod {
  const securityContext = { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'cart', namespace: 'shop', annotations },
    spec: {
      initContainers: [{ name: 'migrate', image: 'cart-migrate:1', securityContext: structuredClone(securityContext) }],
      containers: [{
        name: 'cart', image: 'cart:1', ports: [{ containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
        securityContext: structuredClone(securityContext),
      }],
    },
  };
}

const shapes = [['native sidecar', '1.30'], ['classic sidecar', '1.27']] as const;
const allContainers = (pod: Pod): Container[] => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
const summary = (violations: Violation[]) => violations.map((v) => `${v.control} @ ${v.field}`).sort();

describe.each(shapes)('CNI mode, %s', (_shape, clusterVersion) => {
  const config = testConfig({ captureMode: 'cni', clusterVersion });
  const annotations = { [Annotations.excludeOutboundPorts]: '5432', [Annotations.includeInboundPorts]: '8080' };
  const injected = injectPod(restrictedApp(annotations), config);
  const native = clusterVersion === '1.30';

  it('adds no capability, no root and no privilege to any container', () => {
    for (const c of allContainers(injected)) {
      const sc = c.securityContext as Record<string, unknown> & { capabilities?: { add?: string[] } };
      expect(sc.capabilities?.add ?? []).toEqual([]);
      expect(sc.runAsUser).not.toBe(0);
      expect(sc.privileged).not.toBe(true);
    }
    expect(allContainers(injected).map((c) => c.name)).not.toContain(Containers.init);
  });

  it('passes Pod Security restricted (and so baseline)', () => {
    expect(checkPodSecurity(injected, 'restricted')).toEqual([]);
  });

  it('puts the init-network flags in the capture annotation and gives the same to skein-validation', () => {
    const flags = captureFlags(captureSettings(annotations));
    expect(JSON.parse(injected.metadata!.annotations![Annotations.cniCapture]!)).toEqual(flags);
    expect(flags).toEqual(expect.arrayContaining(['--exclude-outbound-ports', '5432', '--include-inbound-ports', '8080', '--proxy-uid', '1337']));
    const validation = injected.spec.initContainers!.find((c) => c.name === Containers.validation)!;
    expect(validation.args).toEqual(['cni', 'validate', ...flags]);
    expect(validation.securityContext).toEqual({
      runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, privileged: false, allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(validation.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('validates before anything else runs; the proxy gets the RuntimeDefault seccomp profile', () => {
    expect(injected.spec.initContainers!.map((c) => c.name)).toEqual(native ? [Containers.validation, Containers.proxy, 'migrate'] : [Containers.validation, 'migrate']);
    expect(injected.spec.containers.map((c) => c.name)).toEqual(native ? ['cart'] : [Containers.proxy, 'cart']);
    const proxy = allContainers(injected).find((c) => c.name === Containers.proxy)!;
    expect((proxy.securityContext as Record<string, unknown>).seccompProfile).toEqual({ type: 'RuntimeDefault' });
    const status = JSON.parse(injected.metadata!.annotations![Annotations.status]!) as InjectionStatus;
    expect(status.initContainers).toEqual(native ? [Containers.validation, Containers.proxy] : [Containers.validation]);
  });
});

describe('init mode, for comparison', () => {
  it.each(shapes)('%s: skein-init fails baseline (NET_ADMIN, NET_RAW) and restricted (root, capabilities, no seccomp)', (_shape, clusterVersion) => {
    const injected = injectPod(restrictedApp(), testConfig({ clusterVersion }));
    const init = `spec.initContainers[${clusterVersion === '1.30' ? 0 : 1}].securityContext`;
    const proxy = clusterVersion === '1.30' ? 'spec.initContainers[1].securityContext' : 'spec.containers[0].securityContext';
    expect(summary(checkPodSecurity(injected, 'baseline'))).toEqual([`Capabilities @ ${init}.capabilities.add`]);
    expect(summary(checkPodSecurity(injected, 'restricted'))).toEqual([
      `Capabilities @ ${init}.capabilities.add`,
      `Capabilities @ ${init}.capabilities.add`,
      `Running as Non-root @ ${init}.runAsNonRoot`,
      `Running as Non-root user @ ${init}.runAsUser`,
      `Seccomp @ ${init}.seccompProfile.type`,
      `Seccomp @ ${proxy}.seccompProfile.type`,
    ].sort());
    expect(injected.metadata!.annotations![Annotations.cniCapture]).toBeUndefined();
  });
});
