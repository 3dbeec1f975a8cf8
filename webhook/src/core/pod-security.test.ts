/**
 * The Pod Security Standards checker, control by control: each row is a pod that breaks (or just
 * keeps) one rule of the published standard, and the violations the checker must report.
 */
import { checkPodSecurity, type PodSecurityLevel } from './pod-security';
import { type Pod } from './types';

/** A pod that passes `restricted`: every container non-root, no escalation, drop ALL, RuntimeDefault seccomp. */
function compliant(): Pod {
  const sc = { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      initContainers: [{ name: 'migrate', image: 'm:1', securityContext: structuredClone(sc) }],
      containers: [{ name: 'web', image: 'w:1', ports: [{ containerPort: 8080 }], securityContext: structuredClone(sc) }],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }, { name: 'token', projected: { sources: [] } }],
    },
  };
}

type Edit = (pod: Pod) => void;
type Editable = Record<string, unknown> & { securityContext: Record<string, unknown> };
const app = (pod: Pod) => pod.spec.containers[0]! as unknown as Editable;
const init = (pod: Pod) => pod.spec.initContainers![0]! as unknown as Editable;
const podSc = (pod: Pod) => ((pod.spec.securityContext ??= {}) as Record<string, unknown>);

/** [case, level the pod is checked at, edit, expected violations as `control @ field`]. */
const table: Array<[string, PodSecurityLevel, Edit, string[]]> = [
  ['a compliant pod passes baseline', 'baseline', () => undefined, []],
  ['a compliant pod passes restricted', 'restricted', () => undefined, []],
  ['a bare pod passes baseline (the default configuration)', 'baseline', (p) => {
    delete (app(p) as Record<string, unknown>).securityContext;
    delete (init(p) as Record<string, unknown>).securityContext;
  }, []],
  // ---- baseline ----
  ['hostNetwork', 'baseline', (p) => (p.spec.hostNetwork = true), ['Host Namespaces @ spec.hostNetwork']],
  ['hostPID and hostIPC', 'baseline', (p) => Object.assign(p.spec, { hostPID: true, hostIPC: true }), ['Host Namespaces @ spec.hostPID', 'Host Namespaces @ spec.hostIPC']],
  ['hostNetwork false is fine', 'baseline', (p) => (p.spec.hostNetwork = false), []],
  ['a privileged container', 'baseline', (p) => (app(p).securityContext.privileged = true), ['Privileged Containers @ spec.containers[0].securityContext.privileged']],
  ['privileged false is fine', 'baseline', (p) => (app(p).securityContext.privileged = false), []],
  ['NET_ADMIN and NET_RAW (what skein-init adds)', 'baseline', (p) => (init(p).securityContext.capabilities = { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }),
    ['Capabilities @ spec.initContainers[0].securityContext.capabilities.add']],
  ['a default capability is fine for baseline', 'baseline', (p) => (app(p).securityContext.capabilities = { add: ['CHOWN', 'NET_BIND_SERVICE'] }), []],
  ['a hostPath volume', 'baseline', (p) => p.spec.volumes!.push({ name: 'host', hostPath: { path: '/' } }), ['HostPath Volumes @ spec.volumes[3].hostPath']],
  ['a host port', 'baseline', (p) => (app(p).ports = [{ containerPort: 8080, hostPort: 80 }]), ['Host Ports @ spec.containers[0].ports[0].hostPort']],
  ['hostPort 0 is fine', 'baseline', (p) => (app(p).ports = [{ containerPort: 8080, hostPort: 0 }]), []],
  ['an unconfined AppArmor annotation', 'baseline', (p) => (p.metadata!.annotations = { 'container.apparmor.security.beta.kubernetes.io/web': 'unconfined' }),
    ["AppArmor @ metadata.annotations['container.apparmor.security.beta.kubernetes.io/web']"]],
  ['localhost/* and runtime/default AppArmor annotations are fine', 'baseline', (p) => (p.metadata!.annotations = {
    'container.apparmor.security.beta.kubernetes.io/web': 'localhost/my-profile', 'container.apparmor.security.beta.kubernetes.io/migrate': 'runtime/default',
  }), []],
  ['appArmorProfile Unconfined', 'baseline', (p) => (podSc(p).appArmorProfile = { type: 'Unconfined' }), ['AppArmor @ spec.securityContext.appArmorProfile.type']],
  ['a custom SELinux type, user and role', 'baseline', (p) => (app(p).securityContext.seLinuxOptions = { type: 'spc_t', user: 'system_u', role: 'r' }),
    ['SELinux @ spec.containers[0].securityContext.seLinuxOptions.type', 'SELinux @ spec.containers[0].securityContext.seLinuxOptions.user', 'SELinux @ spec.containers[0].securityContext.seLinuxOptions.role']],
  ['SELinux container_t and a level are fine', 'baseline', (p) => (podSc(p).seLinuxOptions = { type: 'container_t', level: 's0:c1,c2' }), []],
  ['procMount Unmasked', 'baseline', (p) => (app(p).securityContext.procMount = 'Unmasked'), ['/proc Mount Type @ spec.containers[0].securityContext.procMount']],
  ['seccomp Unconfined fails baseline', 'baseline', (p) => (app(p).securityContext.seccompProfile = { type: 'Unconfined' }), ['Seccomp @ spec.containers[0].securityContext.seccompProfile.type']],
  ['an unsafe sysctl', 'baseline', (p) => (podSc(p).sysctls = [{ name: 'net.ipv4.tcp_syncookies', value: '1' }, { name: 'kernel.msgmax', value: '1' }]),
    ['Sysctls @ spec.securityContext.sysctls[1].name']],
  ['a probe to another host', 'baseline', (p) => (app(p).readinessProbe = { httpGet: { host: '10.0.0.1', port: 8080 } }), ['Host Probes / Lifecycle Hooks @ spec.containers[0].readinessProbe.httpGet.host']],
  ['a lifecycle hook to another host', 'baseline', (p) => (app(p).lifecycle = { preStop: { httpGet: { host: 'example.com', port: 80 } } }),
    ['Host Probes / Lifecycle Hooks @ spec.containers[0].lifecycle.preStop.httpGet.host']],
  ['Windows hostProcess', 'baseline', (p) => (podSc(p).windowsOptions = { hostProcess: true }), ['HostProcess @ spec.securityContext.windowsOptions.hostProcess']],
  ['ephemeral containers are checked too', 'baseline', (p) => (p.spec.ephemeralContainers = [{ name: 'debug', securityContext: { privileged: true } }]),
    ['Privileged Containers @ spec.ephemeralContainers[0].securityContext.privileged']],
  // ---- restricted ----
  ['baseline violations count for restricted', 'restricted', (p) => (p.spec.hostNetwork = true), ['Host Namespaces @ spec.hostNetwork']],
  ['a nfs volume', 'restricted', (p) => p.spec.volumes!.push({ name: 'share', nfs: { server: 'x', path: '/' } }), ['Volume Types @ spec.volumes[3].nfs']],
  ['every allowed volume type', 'restricted', (p) => p.spec.volumes!.push(
    { name: 'a', secret: { secretName: 's' } }, { name: 'b', downwardAPI: { items: [] } }, { name: 'c', persistentVolumeClaim: { claimName: 'c' } },
    { name: 'd', csi: { driver: 'x' } }, { name: 'e', ephemeral: { volumeClaimTemplate: {} } },
  ), []],
  ['allowPrivilegeEscalation unset', 'restricted', (p) => delete app(p).securityContext.allowPrivilegeEscalation,
    ['Privilege Escalation @ spec.containers[0].securityContext.allowPrivilegeEscalation']],
  ['runAsNonRoot unset everywhere', 'restricted', (p) => delete init(p).securityContext.runAsNonRoot, ['Running as Non-root @ spec.initContainers[0].securityContext.runAsNonRoot']],
  ['runAsNonRoot at pod level covers the containers', 'restricted', (p) => {
    podSc(p).runAsNonRoot = true;
    delete init(p).securityContext.runAsNonRoot;
    delete app(p).securityContext.runAsNonRoot;
  }, []],
  ['runAsNonRoot false in a container beats the pod', 'restricted', (p) => {
    podSc(p).runAsNonRoot = true;
    app(p).securityContext.runAsNonRoot = false;
  }, ['Running as Non-root @ spec.containers[0].securityContext.runAsNonRoot']],
  ['runAsUser 0 (what skein-init runs as)', 'restricted', (p) => (init(p).securityContext.runAsUser = 0), ['Running as Non-root user @ spec.initContainers[0].securityContext.runAsUser']],
  ['runAsUser 0 at pod level', 'restricted', (p) => (podSc(p).runAsUser = 0), ['Running as Non-root user @ spec.securityContext.runAsUser']],
  ['a user-namespaced pod may run as root inside it', 'restricted', (p) => {
    p.spec.hostUsers = false;
    init(p).securityContext.runAsUser = 0;
    init(p).securityContext.runAsNonRoot = false;
  }, []],
  ['no seccomp profile', 'restricted', (p) => delete app(p).securityContext.seccompProfile, ['Seccomp @ spec.containers[0].securityContext.seccompProfile.type']],
  ['a pod-level RuntimeDefault covers the containers', 'restricted', (p) => {
    podSc(p).seccompProfile = { type: 'RuntimeDefault' };
    delete app(p).securityContext.seccompProfile;
    delete init(p).securityContext.seccompProfile;
  }, []],
  ['Localhost seccomp is fine', 'restricted', (p) => (app(p).securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'p.json' }), []],
  ['capabilities not dropped', 'restricted', (p) => (app(p).securityContext.capabilities = { drop: ['NET_RAW'] }), ['Capabilities @ spec.containers[0].securityContext.capabilities.drop']],
  ['adding NET_BIND_SERVICE is the only allowed add', 'restricted', (p) => (app(p).securityContext.capabilities = { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }), []],
  ['adding CHOWN passes baseline but not restricted', 'restricted', (p) => (app(p).securityContext.capabilities = { drop: ['ALL'], add: ['CHOWN'] }),
    ['Capabilities @ spec.containers[0].securityContext.capabilities.add']],
];

describe('Pod Security Standards checker', () => {
  it.each(table)('%s (%s)', (_name, level, edit, expected) => {
    const pod = compliant();
    edit(pod);
    expect(checkPodSecurity(pod, level).map((v) => `${v.control} @ ${v.field}`).sort()).toEqual([...expected].sort());
  });

  it('reports the level of each control and a reason', () => {
    const pod = compliant();
    init(pod).securityContext = { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } };
    expect(checkPodSecurity(pod, 'restricted')).toEqual(expect.arrayContaining([
      { level: 'baseline', control: 'Capabilities', field: 'spec.initContainers[0].securityContext.capabilities.add', detail: 'NET_ADMIN beyond the default set' },
      { level: 'restricted', control: 'Running as Non-root user', field: 'spec.initContainers[0].securityContext.runAsUser', detail: 'must not be 0' },
    ]));
  });
});
