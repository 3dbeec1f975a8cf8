/**
 * A container's filesystem, as a shell script run inside the pod's network namespace and a fresh
 * mount (and UTS) namespace: an overlay whose lower layer is the host's root and whose upper layer
 * is the container's own tmpfs (its writable layer: writes never reach the host, a restart starts
 * clean); fresh tmpfs at /tmp, /run and /var/tmp (as an image has them: empty); the image's own
 * files, the pod's /etc/hosts, /etc/nsswitch.conf and /etc/hostname, and the volume mounts bound
 * in (parents first, as containerd sorts them; API-data volumes and `readOnly` mounts read-only);
 * readOnlyRootFilesystem remounts the root read-only. Mount points are created inside the
 * overlay, so absolute mountPaths such as /var/run/secrets/… need nothing on the host; paths are
 * resolved inside the root first (/var/run → /run) so a symlink can never lead a bind outside it.
 * Then it reports "started" on fd 3 (the runtime counts the container as running from then on, as
 * runc does once the process is exec'd) and `chroot`, `env -C workingDir` and `setpriv` (UID/GID,
 * groups, capabilities, no_new_privs) exec the container's argv, keeping its PID.
 */
import { type Credentials } from './security';

/** What the script needs to know about paths on the host ("the image"). */
export interface HostView {
  kind(path: string): 'dir' | 'file' | 'symlink' | 'missing';
  readlink(path: string): string;
}

export interface Tools {
  mount: string;
  mkdir: string;
  touch: string;
  hostname: string;
  chroot: string;
  env: string;
  setpriv: string;
}

export interface BindMount {
  source: string;
  sourceIsDir: boolean;
  /** Path inside the container. */
  target: string;
  readOnly: boolean;
}

export interface ContainerFilesystem {
  /** Host directory of this container instance (layer, rootfs, setup.err). */
  dir: string;
  /** Image paths that are host paths elsewhere (image path → host path), mounted read-only. */
  imageFiles: Readonly<Record<string, string>>;
  /** Pod-wide /etc files (host sources). */
  etc: { hosts: string; nsswitch: string; hostname: string };
  hostname: string;
  mounts: readonly BindMount[];
  readOnlyRoot: boolean;
  workingDir: string;
}

/** Directories that are fresh and empty in every container. */
export const FreshDirs = [{ path: '/tmp', mode: '1777' }, { path: '/run', mode: '0755' }, { path: '/var/tmp', mode: '1777' }] as const;

/** What the script writes on fd 3 once the container is set up, just before it execs the program. */
export const StartedSignal = 'started';

/** Exit code of the script when setting up the container failed (the reason is in `<dir>/setup.err`). */
export const SetupFailedExitCode = 121;

export class MountPathError extends Error {
  override name = 'MountPathError';
}

/**
 * `path` with every symlink of its existing part resolved inside the container root. Parts under a
 * fresh directory or an image path do not exist on the host view and are kept as written.
 */
export function resolveInRoot(path: string, view: HostView, opaque: readonly string[]): string {
  if (!path.startsWith('/')) throw new MountPathError(`mount path "${path}" must be absolute`);
  const pending = path.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let hops = 0;
  let missing = false;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = `/${[...done, part].join('/')}`;
    if (missing || opaque.some((o) => candidate === o || candidate.startsWith(`${o}/`))) {
      done.push(part);
      missing = true;
      continue;
    }
    const kind = view.kind(candidate);
    if (kind === 'symlink') {
      if (++hops > 40) throw new MountPathError(`mount path "${path}": too many levels of symbolic links`);
      const target = view.readlink(candidate);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    done.push(part);
    if (kind === 'missing') missing = true;
  }
  return `/${done.join('/')}`;
}

/** Single-quotes for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** setpriv's arguments for these credentials. */
export function setprivArgs(c: Credentials): string[] {
  const caps = ['-all', ...c.capabilities.map((x) => `+${x.toLowerCase()}`)].join(',');
  return [
    `--reuid=${c.uid}`,
    `--regid=${c.gid}`,
    c.groups.length > 0 ? `--groups=${c.groups.join(',')}` : '--clear-groups',
    `--bounding-set=${caps}`,
    '--inh-caps=-all',
    ...(c.noNewPrivs ? ['--no-new-privs'] : []),
    '--',
  ];
}

export function launchScript(fs: ContainerFilesystem, credentials: Credentials, argv: readonly string[], env: Readonly<Record<string, string>>, view: HostView, tools: Tools): string {
  const q = shellQuote;
  const opaque = [...FreshDirs.map((d) => d.path), ...Object.keys(fs.imageFiles)];
  const inRoot = (p: string) => `"$R"${q(p)}`;
  const lines: string[] = [
    '#!/bin/sh',
    'set -e',
    `trap 'exit ${SetupFailedExitCode}' EXIT`,
    `exec 4>&2 2>${q(`${fs.dir}/setup.err`)}`,
    `C=${q(fs.dir)}`,
    'R="$C/rootfs"',
    `${tools.mount} -t tmpfs -o mode=0755 tmpfs "$C/layer"`,
    `${tools.mkdir} "$C/layer/upper" "$C/layer/work"`,
    `${tools.mount} -t overlay overlay -o "lowerdir=/,upperdir=$C/layer/upper,workdir=$C/layer/work" "$R"`,
    ...['/proc', '/sys', '/dev'].map((d) => `${tools.mount} --rbind ${d} ${inRoot(d)}`),
    ...FreshDirs.map((d) => `${tools.mount} -t tmpfs -o mode=${d.mode} tmpfs ${inRoot(d.path)}`),
  ];
  const readOnly: string[] = [];
  const bind = (source: string, isDir: boolean, target: string, ro: boolean) => {
    const resolved = resolveInRoot(target, view, opaque.filter((o) => o !== target));
    const parent = resolved.slice(0, resolved.lastIndexOf('/')) || '/';
    lines.push(isDir ? `${tools.mkdir} -p ${inRoot(resolved)}` : `${tools.mkdir} -p ${inRoot(parent)} && ${tools.touch} ${inRoot(resolved)}`);
    lines.push(`${tools.mount} --bind ${q(source)} ${inRoot(resolved)}`);
    if (ro) readOnly.push(resolved);
  };
  for (const [imagePath, host] of Object.entries(fs.imageFiles).sort(([a], [b]) => depth(a) - depth(b))) bind(host, true, imagePath, true);
  bind(fs.etc.hosts, false, '/etc/hosts', false);
  bind(fs.etc.nsswitch, false, '/etc/nsswitch.conf', true);
  bind(fs.etc.hostname, false, '/etc/hostname', true);
  for (const m of [...fs.mounts].sort((a, b) => depth(a.target) - depth(b.target))) bind(m.source, m.sourceIsDir, m.target, m.readOnly);
  const workingDir = resolveInRoot(fs.workingDir || '/', view, opaque);
  lines.push(`${tools.mkdir} -p ${inRoot(workingDir)}`);
  lines.push(`${tools.hostname} ${q(fs.hostname)}`);
  for (const p of readOnly) lines.push(`${tools.mount} -o remount,bind,ro ${inRoot(p)}`);
  if (fs.readOnlyRoot) {
    lines.push(`${tools.mount} -o remount,bind,ro "$R"`);
    for (const d of FreshDirs) lines.push(`${tools.mount} -o remount,bind,ro ${inRoot(d.path)}`);
  }
  const pwd = Object.hasOwn(env, 'PWD') ? [`PWD=${env.PWD}`] : ['-u', 'PWD'];
  lines.push('exec 2>&4 4>&-', 'trap - EXIT', `printf '${StartedSignal}\\n' >&3`, 'exec 3>&-');
  lines.push(['exec', tools.chroot, '"$R"', tools.env, ...pwd.map(q), '-C', q(fs.workingDir || '/'), tools.setpriv, ...setprivArgs(credentials), ...argv.map(q)].join(' '));
  return `${lines.join('\n')}\n`;
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}
