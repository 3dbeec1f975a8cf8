/**
 * The Pod Security Standards' `baseline` and `restricted` profiles as a pure checker, written from
 * the published standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/,
 * the controls of Kubernetes 1.34–1.36). Each control names the fields it restricts and the values it
 * allows; a violation names the control, the field path and why. Used to prove what injection does
 * to a pod in each capture mode (docs/injection.md): Pod Security Admission runs these same rules.
 */
import { type Pod } from './types';

export type PodSecurityLevel = 'baseline' | 'restricted';

export interface Violation {
  /** The lowest level the violated control belongs to. */
  level: PodSecurityLevel;
  /** The control's name in the standard, e.g. `Capabilities`, `Running as Non-root`. */
  control: string;
  /** The offending field, e.g. `spec.initContainers[0].securityContext.capabilities.add`. */
  field: string;
  detail: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Baseline: capabilities a container may add (the container runtime's default set). */
export const BaselineCapabilities: readonly string[] = [
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
];
/** Baseline: the "safe" sysctls. */
export const SafeSysctls: readonly string[] = [
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
];
/** Baseline: SELinux types allowed in seLinuxOptions.type (besides undefined and ""). */
const selinuxTypes = ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
/** Restricted: the only volume sources allowed. */
export const RestrictedVolumeSources: readonly string[] = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** seccompProfile.type (restricted) and appArmorProfile.type (baseline): the confined profile types. */
const confinedProfiles = ['RuntimeDefault', 'Localhost'];
const appArmorAnnotation = 'container.apparmor.security.beta.kubernetes.io/';

interface ContainerAt {
  path: string;
  container: Obj;
  securityContext: Obj | undefined;
}

function containersOf(spec: Obj): ContainerAt[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((kind) =>
    list(spec[kind]).map((c, i) => {
      const container = obj(c) ?? {};
      return { path: `spec.${kind}[${i}]`, container, securityContext: obj(container.securityContext) };
    }));
}

function baseline(pod: Pod, spec: Obj, containers: ContainerAt[], podSc: Obj | undefined): Violation[] {
  const out: Violation[] = [];
  const add = (control: string, field: string, detail: string) => out.push({ level: 'baseline', control, field, detail });
  const contexts: Array<[string, Obj | undefined]> = [['spec.securityContext', podSc], ...containers.map((c): [string, Obj | undefined] => [`${c.path}.securityContext`, c.securityContext])];

  for (const [path, sc] of contexts) {
    if (obj(sc?.windowsOptions)?.hostProcess === true) add('HostProcess', `${path}.windowsOptions.hostProcess`, 'must be false or unset');
  }
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[field] === true) add('Host Namespaces', `spec.${field}`, 'must be false or unset');
  }
  for (const { path, container, securityContext: sc } of containers) {
    if (sc?.privileged === true) add('Privileged Containers', `${path}.securityContext.privileged`, 'must be false or unset');
    const extra = list(obj(sc?.capabilities)?.add).filter((c) => !BaselineCapabilities.includes(String(c)));
    if (extra.length > 0) add('Capabilities', `${path}.securityContext.capabilities.add`, `${extra.join(', ')} beyond the default set`);
    list(container.ports).forEach((p, i) => {
      const hostPort = obj(p)?.hostPort;
      if (hostPort !== undefined && hostPort !== 0) add('Host Ports', `${path}.ports[${i}].hostPort`, 'must be 0 or unset');
    });
    if (sc?.procMount !== undefined && sc.procMount !== 'Default') add('/proc Mount Type', `${path}.securityContext.procMount`, 'must be Default or unset');
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      for (const handler of ['httpGet', 'tcpSocket']) {
        const host = obj(obj(container[probe])?.[handler])?.host;
        if (host !== undefined && host !== '') add('Host Probes / Lifecycle Hooks', `${path}.${probe}.${handler}.host`, 'must be unset or empty');
      }
    }
    for (const hook of ['postStart', 'preStop']) {
      for (const handler of ['httpGet', 'tcpSocket']) {
        const host = obj(obj(obj(container.lifecycle)?.[hook])?.[handler])?.host;
        if (host !== undefined && host !== '') add('Host Probes / Lifecycle Hooks', `${path}.lifecycle.${hook}.${handler}.host`, 'must be unset or empty');
      }
    }
  }
  list(spec.volumes).forEach((v, i) => {
    if (obj(v)?.hostPath !== undefined) add('HostPath Volumes', `spec.volumes[${i}].hostPath`, 'hostPath volumes are forbidden');
  });
  for (const [key, value] of Object.entries(pod.metadata?.annotations ?? {})) {
    if (key.startsWith(appArmorAnnotation) && value !== '' && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      add('AppArmor', `metadata.annotations['${key}']`, `"${value}" is neither runtime/default nor localhost/*`);
    }
  }
  for (const [path, sc] of contexts) {
    const appArmor = obj(sc?.appArmorProfile)?.type;
    if (appArmor !== undefined && !confinedProfiles.includes(String(appArmor))) add('AppArmor', `${path}.appArmorProfile.type`, `${String(appArmor)} is neither RuntimeDefault nor Localhost`);
    const selinux = obj(sc?.seLinuxOptions);
    if (selinux) {
      if (selinux.type !== undefined && selinux.type !== '' && !selinuxTypes.includes(String(selinux.type))) add('SELinux', `${path}.seLinuxOptions.type`, `${String(selinux.type)} is not one of ${selinuxTypes.join(', ')}`);
      for (const field of ['user', 'role']) {
        if (selinux[field] !== undefined && selinux[field] !== '') add('SELinux', `${path}.seLinuxOptions.${field}`, 'must be unset or empty');
      }
    }
    if (obj(sc?.seccompProfile)?.type === 'Unconfined') add('Seccomp', `${path}.seccompProfile.type`, 'must not be Unconfined');
  }
  list(podSc?.sysctls).forEach((s, i) => {
    const name = String(obj(s)?.name);
    if (!SafeSysctls.includes(name)) add('Sysctls', `spec.securityContext.sysctls[${i}].name`, `${name} is not a safe sysctl`);
  });
  return out;
}

function restricted(spec: Obj, containers: ContainerAt[], podSc: Obj | undefined): Violation[] {
  const out: Violation[] = [];
  const add = (control: string, field: string, detail: string) => out.push({ level: 'restricted', control, field, detail });
  list(spec.volumes).forEach((v, i) => {
    const sources = Object.keys(obj(v) ?? {}).filter((k) => k !== 'name');
    const bad = sources.filter((s) => !RestrictedVolumeSources.includes(s));
    if (bad.length > 0) add('Volume Types', `spec.volumes[${i}].${bad[0]}`, `${bad.join(', ')} is not an allowed volume type`);
  });
  // Pods in a user namespace (hostUsers: false) may run as root inside it.
  const userNamespace = spec.hostUsers === false;
  if (!userNamespace && podSc?.runAsNonRoot === false) add('Running as Non-root', 'spec.securityContext.runAsNonRoot', 'must not be false');
  if (!userNamespace && podSc?.runAsUser === 0) add('Running as Non-root user', 'spec.securityContext.runAsUser', 'must not be 0');
  const podSeccomp = obj(podSc?.seccompProfile)?.type;
  if (podSeccomp !== undefined && !confinedProfiles.includes(String(podSeccomp))) add('Seccomp', 'spec.securityContext.seccompProfile.type', `${String(podSeccomp)} is neither RuntimeDefault nor Localhost`);

  for (const { path, securityContext: sc } of containers) {
    const field = (f: string) => `${path}.securityContext.${f}`;
    if (sc?.allowPrivilegeEscalation !== false) add('Privilege Escalation', field('allowPrivilegeEscalation'), 'must be false');
    if (!userNamespace) {
      if (sc?.runAsNonRoot === false) add('Running as Non-root', field('runAsNonRoot'), 'must not be false');
      else if (sc?.runAsNonRoot !== true && podSc?.runAsNonRoot !== true) add('Running as Non-root', field('runAsNonRoot'), 'must be true (here or at pod level)');
      if (sc?.runAsUser === 0) add('Running as Non-root user', field('runAsUser'), 'must not be 0');
    }
    const seccomp = obj(sc?.seccompProfile)?.type;
    if (seccomp !== undefined && !confinedProfiles.includes(String(seccomp))) add('Seccomp', field('seccompProfile.type'), `${String(seccomp)} is neither RuntimeDefault nor Localhost`);
    else if (seccomp === undefined && podSeccomp === undefined) add('Seccomp', field('seccompProfile.type'), 'must be RuntimeDefault or Localhost (here or at pod level)');
    const caps = obj(sc?.capabilities);
    if (!list(caps?.drop).includes('ALL')) add('Capabilities', field('capabilities.drop'), 'must include ALL');
    const added = list(caps?.add).filter((c) => c !== 'NET_BIND_SERVICE');
    if (added.length > 0) add('Capabilities', field('capabilities.add'), `may add only NET_BIND_SERVICE, adds ${added.join(', ')}`);
  }
  return out;
}

/** Every violation of `level` (restricted includes baseline); empty when the pod passes. */
export function checkPodSecurity(pod: Pod, level: PodSecurityLevel): Violation[] {
  const spec = (obj(pod.spec) ?? {}) as Obj;
  const containers = containersOf(spec);
  const podSc = obj(spec.securityContext);
  const found = baseline(pod, spec, containers, podSc);
  return level === 'baseline' ? found : [...found, ...restricted(spec, containers, podSc)];
}
