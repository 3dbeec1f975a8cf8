/**
 * The container runtime (what containerd + runc do for the kubelet): a container is one process
 * started as `ip netns exec <pod netns> unshare --uts -- sh <launch script>` (core/rootfs.ts), so
 * it shares the pod's network namespace and has its own mount and UTS namespaces, its root
 * filesystem, its UID/GID and capabilities — and keeps the PID of that first process, which is what
 * SIGTERM and SIGKILL go to. When it exits, whatever it left running is killed (as the end of a
 * container's PID namespace would). Output goes to a log file per container and restart.
 * `exec` enters a running container (nsenter into its mount, UTS and network namespaces and its
 * root, with its credentials and environment), as exec probes, lifecycle hooks and `kubectl exec` do.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants as fsConstants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { killGroup, run, type RunResult } from '../../harness/command';
import { type ContainerFilesystem, FreshDirs, type HostView, launchScript, resolveInRoot, setprivArgs, SetupFailedExitCode, StartedSignal, type Tools } from './core/rootfs';
import { type Credentials } from './core/security';

export interface ContainerLaunch {
  /** `<pod>/<container>` for messages. */
  name: string;
  netns: string;
  fs: ContainerFilesystem;
  credentials: Credentials;
  argv: string[];
  env: Record<string, string>;
  logFile: string;
}

export interface ContainerExit {
  /** As containerd reports it: 128 + the signal number when a signal ended the process. */
  exitCode: number;
  finishedAt: number;
  /** The runtime could not start the program (the container never ran). */
  startError?: string;
}

export class StartError extends Error {
  override name = 'StartError';
}


export const hostView: HostView = {
  kind(path) {
    try {
      const st = lstatSync(path);
      return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
    } catch {
      return 'missing';
    }
  },
  readlink: (path) => readlinkSync(path),
};

export class RunningContainer {
  readonly id = randomBytes(32).toString('hex');
  /** When the program was exec'd (set once `started` resolves true). */
  startedAt = Date.now();
  readonly exited: Promise<ContainerExit>;
  /** True once the container is set up and its program exec'd; false if it exited before. */
  readonly started: Promise<boolean>;
  private exit: ContainerExit | undefined;

  constructor(
    readonly launch: ContainerLaunch,
    readonly pid: number,
    exited: Promise<ContainerExit>,
    started: Promise<boolean>,
  ) {
    this.exited = exited.then((e) => (this.exit = e));
    this.started = started.then((ok) => {
      if (ok) this.startedAt = Date.now();
      return ok;
    });
  }

  get containerID(): string {
    return `skein-node://${this.id}`;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM to the container's process, SIGKILL to all of it after `graceMs`. */
  async stop(graceMs: number): Promise<ContainerExit> {
    if (this.exit) return this.exit;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        killGroup(this.pid, 'SIGKILL');
        resolve();
      }, Math.max(0, graceMs));
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }

  /** Runs `argv` inside the container (its namespaces, root, credentials and environment). */
  exec(argv: readonly string[], options: { timeoutMs: number; tools: Tools }): Promise<RunResult> {
    const command = ['nsenter', `--target=${this.pid}`, '--mount', '--uts', '--net', '--root', '--wd', '--', options.tools.setpriv, ...setprivArgs(this.launch.credentials), ...argv];
    return run(command, { env: this.launch.env, timeoutMs: options.timeoutMs, allowFailure: true });
  }
}

/** Absolute paths of the tools the launch script uses, found once. */
export async function findTools(): Promise<Tools> {
  const names = ['mount', 'mkdir', 'touch', 'hostname', 'chroot', 'env', 'setpriv'] as const;
  const found = await Promise.all(names.map(async (n) => [n, (await run(['sh', '-c', `command -v ${n}`])).stdout.trim()] as const));
  for (const [n, path] of found) if (!path.startsWith('/')) throw new Error(`the simulated node needs ${n} (util-linux/coreutils) on PATH`);
  for (const tool of ['nsenter', 'unshare', 'iptables-restore']) await run(['sh', '-c', `command -v ${tool}`]).catch(() => { throw new Error(`the simulated node needs ${tool} on PATH`); });
  return Object.fromEntries(found) as unknown as Tools;
}

/**
 * Where `program` is found inside the container (PATH of its environment, image files mapped to
 * the host), as the runtime checks before it starts the process; undefined when it is not there.
 */
export function findExecutable(program: string, env: Readonly<Record<string, string>>, imageFiles: Readonly<Record<string, string>>): string | undefined {
  const toHost = (p: string): string => {
    for (const [imagePath, host] of Object.entries(imageFiles)) if (p === imagePath || p.startsWith(`${imagePath}/`)) return host + p.slice(imagePath.length);
    return resolveInRoot(p, hostView, FreshDirs.map((d) => d.path));
  };
  const executable = (p: string) => {
    try {
      const host = toHost(p);
      accessSync(host, fsConstants.X_OK);
      return statSync(host).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(program) ? program : undefined;
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    const candidate = `${dir.replace(/\/$/, '')}/${program}`;
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

export class ContainerRuntime {
  constructor(readonly tools: Tools) {}

  /** Starts the container; throws StartError when its program cannot be found. */
  start(launch: ContainerLaunch): RunningContainer {
    const program = launch.argv[0]!;
    if (!findExecutable(program, launch.env, launch.fs.imageFiles)) {
      throw new StartError(program.includes('/') ? `exec: "${program}": stat ${program}: no such file or directory` : `exec: "${program}": executable file not found in $PATH`);
    }
    mkdirSync(join(launch.fs.dir, 'layer'), { recursive: true });
    mkdirSync(join(launch.fs.dir, 'rootfs'), { recursive: true });
    const script = join(launch.fs.dir, 'launch.sh');
    writeFileSync(script, launchScript(launch.fs, launch.credentials, launch.argv, launch.env, hostView, this.tools), { mode: 0o700 });
    const log = openSync(launch.logFile, 'a', 0o640);
    let child;
    try {
      child = spawn('ip', ['netns', 'exec', launch.netns, 'unshare', '--uts', '--', '/bin/sh', script], { env: launch.env, stdio: ['ignore', log, log, 'pipe'], detached: true });
    } finally {
      closeSync(log);
    }
    const pid = child.pid;
    if (pid === undefined) throw new StartError(`cannot start ${launch.name}`);
    const setupErr = join(launch.fs.dir, 'setup.err');
    const exited = new Promise<ContainerExit>((resolve) => {
      child.on('exit', (code, signal) => {
        killGroup(pid, 'SIGKILL');
        const finishedAt = Date.now();
        const setup = code === SetupFailedExitCode && existsSync(setupErr) ? readFileSync(setupErr, 'utf8').trim() : '';
        if (setup) resolve({ exitCode: 128, finishedAt, startError: `setting up the container failed: ${setup}` });
        else if (signal) resolve({ exitCode: 128 + (constants.signals[signal] ?? 0), finishedAt });
        else resolve({ exitCode: code ?? 0, finishedAt });
      });
    });
    const signal = child.stdio[3] as NodeJS.ReadableStream;
    const started = new Promise<boolean>((resolve) => {
      let said = '';
      signal.setEncoding('utf8');
      signal.on('data', (c: string) => {
        said += c;
        if (said.includes(StartedSignal)) resolve(true);
      });
      signal.on('end', () => resolve(said.includes(StartedSignal)));
      signal.on('error', () => resolve(false));
    });
    child.unref();
    (signal as unknown as { unref?: () => void }).unref?.();
    return new RunningContainer(launch, pid, exited, started);
  }
}
