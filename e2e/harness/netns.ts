/**
 * One network namespace of a harness mesh (a pod, or the node that holds the bridge): run commands
 * and long-lived processes inside it as a chosen UID/GID, probe readiness from inside it, capture
 * its packets. Commands run as `ip netns exec NS setpriv --reuid U --regid G --clear-groups -- …`,
 * so `/etc/netns/NS/hosts` (service names → VIPs) is bind-mounted over /etc/hosts for them.
 */
import { run, type RunOptions, type RunResult } from './command';
import { Capture } from './capture';
import { ManagedProcess, type ReadinessProbe } from './process';

export interface RunAs {
  /** Run as this UID (default: root). Use ProxyUid (1337) for proxies, AppUid (1000) for apps. */
  uid?: number;
  /** Defaults to `uid`. */
  gid?: number;
}

export interface ExecOptions extends RunAs, Omit<RunOptions, 'env'> {
  /** Added to the harness's minimal environment (PATH, HOME=/tmp, LANG). */
  env?: Record<string, string>;
}

export interface SpawnOptions extends RunAs {
  env?: Record<string, string>;
  /** A short name for logs and errors (default: the program's base name). */
  name?: string;
  /** Default: `<mesh log dir>/<netns label>.<name>.log`. */
  logFile?: string;
  cwd?: string;
}

/** What a namespace needs from the mesh that owns it. */
export interface NetnsOwner {
  logDir: string;
  /** Called for every process started, so the mesh can stop it at teardown. */
  track(process: ManagedProcess): void;
  /** A fresh file name in the mesh's log dir (`<stem>[.<n>].<ext>`). */
  uniqueFile(stem: string, ext: string): string;
}

/** The UID the harness uses for "application" processes (the proxy's is ProxyUid, 1337). */
export const AppUid = 1000;

export class Netns implements ReadinessProbe {
  constructor(
    /** The network namespace's name (`ip netns list`). */
    readonly netns: string,
    /** The namespace's address on the bridge. */
    readonly ip: string,
    /** A short label for log file names and messages. */
    readonly label: string,
    protected readonly owner: NetnsOwner,
  ) {}

  /** argv that runs `argv` inside this namespace as `runAs`. */
  command(argv: readonly string[], runAs: RunAs = {}): string[] {
    if (argv.length === 0) throw new Error('empty argv');
    const prefix = ['ip', 'netns', 'exec', this.netns];
    if (runAs.uid === undefined) {
      if (runAs.gid !== undefined) throw new Error('gid given without uid');
      return [...prefix, ...argv];
    }
    for (const id of [runAs.uid, runAs.gid ?? runAs.uid]) {
      if (!Number.isInteger(id) || id < 0) throw new Error(`invalid uid/gid ${id}`);
    }
    return [...prefix, 'setpriv', `--reuid=${runAs.uid}`, `--regid=${runAs.gid ?? runAs.uid}`, '--clear-groups', '--', ...argv];
  }

  /** Runs a command to completion (bounded by `timeoutMs`, default 15 s); throws on non-zero exit. */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<RunResult> {
    return run(this.command(argv, options), { ...options, env: processEnv(options.env) });
  }

  /** Starts a long-running process; the mesh stops it at teardown. */
  spawn(argv: readonly string[], options: SpawnOptions = {}): ManagedProcess {
    const name = options.name ?? baseName(argv[0] ?? 'process');
    const proc = new ManagedProcess({
      name: `${this.label}/${name}`,
      argv: this.command(argv, options),
      env: processEnv(options.env),
      logFile: options.logFile ?? this.owner.uniqueFile(`${this.label}.${name}`, 'log'),
      cwd: options.cwd,
      probe: this,
    });
    this.owner.track(proc);
    return proc;
  }

  /** True when a TCP connection to host:port from inside this namespace succeeds within 2 s. */
  async canConnect(host: string, port: number): Promise<boolean> {
    const script = 'exec 3<>"/dev/tcp/$1/$2"';
    const r = await run(this.command(['timeout', '2', 'bash', '-c', script, 'probe', host, String(port)]), { allowFailure: true, timeoutMs: 5_000 });
    return r.code === 0;
  }

  /**
   * HTTP status of a GET (HTTP/1.0, plain http:// only) from inside this namespace, or undefined
   * when there is no answer within 2 s. Uses bash's /dev/tcp, so it needs no curl.
   */
  async httpStatus(url: string): Promise<number | undefined> {
    const u = new URL(url);
    if (u.protocol !== 'http:') throw new Error(`httpStatus probes plain http:// URLs only, got ${url}`);
    const script = 'exec 3<>"/dev/tcp/$1/$2" && printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" "$3" "$1" >&3 && head -n 1 <&3';
    const argv = ['timeout', '2', 'bash', '-c', script, 'probe', u.hostname, u.port || '80', `${u.pathname}${u.search}`];
    const r = await run(this.command(argv), { allowFailure: true, timeoutMs: 5_000 });
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(r.stdout);
    return m ? Number(m[1]) : undefined;
  }

  /**
   * Starts tcpdump on `iface` of this namespace (pcap, unbuffered) and resolves once it is
   * capturing. `filter` is a pcap filter such as `tcp port 8080`.
   */
  async capture(filter = '', iface = 'eth0'): Promise<Capture> {
    return Capture.start(this, iface, filter, this.owner.uniqueFile(`${this.label}.${iface}`, 'pcap'));
  }

  /** `iptables-save` of this namespace (for assertions and failure diagnostics). */
  async iptablesSave(table?: string): Promise<string> {
    return (await this.exec(table ? ['iptables-save', '-t', table] : ['iptables-save'])).stdout;
  }
}

function baseName(program: string): string {
  return program.split('/').pop()!.replace(/\.[cm]?js$/, '');
}

/** A minimal, predictable environment: the test runner's variables do not leak into pods. */
function processEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...extra };
}
