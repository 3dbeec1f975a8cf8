/**
 * A container's process credentials from its securityContext, the pod's securityContext and the
 * image's USER, as the kubelet and containerd settle them: the UID/GID (container over pod over
 * image), supplementary groups (fsGroup and supplementalGroups), the capability set (containerd's
 * default set, `drop` then `add` as containerd's TweakCapabilities does, everything when
 * privileged), no_new_privs when allowPrivilegeEscalation is false, and the runAsNonRoot check
 * with the kubelet's messages.
 */
import { type Container, type Pod } from './types';

/** The capabilities containerd gives a container by default. */
export const DefaultCapabilities = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const;

/** Every Linux capability, by its name without the CAP_ prefix. */
export const AllCapabilities = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE',
  'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN',
  'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE',
  'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
] as const;

export interface ImageUser {
  /** The image's USER (`1337:1337`, `1000`, `nobody`, or '' for root). */
  user: string;
  /** The image's /etc/passwd: UID → primary GID. */
  primaryGroups?: Readonly<Record<number, number>>;
}

export interface Credentials {
  uid: number;
  gid: number;
  /** Supplementary groups, ascending. */
  groups: number[];
  /** The bounding set (and for UID 0 the effective set), names without CAP_, sorted. */
  capabilities: string[];
  noNewPrivs: boolean;
  readOnlyRootFilesystem: boolean;
}

export class SecurityError extends Error {
  override name = 'SecurityError';
}

/** `name_namespace(uid)`, the kubelet's way of naming a pod in messages. */
export function podRef(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

export function credentials(pod: Pod, container: Container, image: ImageUser): Credentials {
  const podCtx = pod.spec?.securityContext ?? {};
  const ctx = container.securityContext ?? {};
  const imageIds = parseImageUser(image.user);
  const runAsUser = ctx.runAsUser ?? podCtx.runAsUser;
  const runAsGroup = ctx.runAsGroup ?? podCtx.runAsGroup;
  const runAsNonRoot = ctx.runAsNonRoot ?? podCtx.runAsNonRoot;

  if (runAsNonRoot) {
    const where = `(pod: "${podRef(pod)}", container: ${container.name})`;
    if (runAsUser !== undefined) {
      if (runAsUser === 0) throw new SecurityError(`container's runAsUser breaks non-root policy ${where}`);
    } else if (imageIds === 'named') {
      throw new SecurityError(`container has runAsNonRoot and image has non-numeric user (${image.user}), cannot verify user is non-root ${where}`);
    } else if (imageIds.uid === 0) {
      throw new SecurityError(`container has runAsNonRoot and image will run as root ${where}`);
    }
  }
  if (imageIds === 'named' && runAsUser === undefined) {
    throw new SecurityError(`image user "${image.user}" is a name; the simulated node only runs numeric image users (set runAsUser)`);
  }
  const uid = runAsUser ?? (imageIds as { uid: number }).uid;
  const imageGid = imageIds !== 'named' && runAsUser === undefined ? imageIds.gid : undefined;
  const gid = runAsGroup ?? imageGid ?? image.primaryGroups?.[uid] ?? 0;
  const groups = [...new Set([...(podCtx.fsGroup !== undefined ? [podCtx.fsGroup] : []), ...(podCtx.supplementalGroups ?? [])])].sort((a, b) => a - b);

  return {
    uid,
    gid,
    groups,
    capabilities: ctx.privileged ? [...AllCapabilities].sort() : tweakCapabilities(ctx.capabilities?.add ?? [], ctx.capabilities?.drop ?? []),
    noNewPrivs: ctx.allowPrivilegeEscalation === false && !ctx.privileged,
    readOnlyRootFilesystem: ctx.readOnlyRootFilesystem === true,
  };
}

function parseImageUser(user: string): { uid: number; gid: number | undefined } | 'named' {
  if (user === '' || user === 'root') return { uid: 0, gid: undefined };
  const [u, g] = user.split(':');
  if (!/^\d+$/.test(u ?? '') || (g !== undefined && !/^\d+$/.test(g))) return 'named';
  return { uid: Number(u), gid: g === undefined ? undefined : Number(g) };
}

function capName(raw: string): string {
  const name = raw.toUpperCase().replace(/^CAP_/, '');
  if (name !== 'ALL' && !(AllCapabilities as readonly string[]).includes(name)) throw new SecurityError(`unknown capability "${raw}"`);
  return name;
}

/** containerd's TweakCapabilities: ALL in drop empties the default set, ALL in add fills it, drops win over adds. */
export function tweakCapabilities(add: readonly string[], drop: readonly string[]): string[] {
  const adds = add.map(capName);
  const drops = drop.map(capName);
  let caps: string[] = [...DefaultCapabilities];
  if (drops.includes('ALL')) caps = [];
  if (adds.includes('ALL')) caps = [...AllCapabilities];
  for (const c of adds) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  return caps.filter((c) => !drops.includes(c)).sort();
}
