/**
 * A long-running process inside a network namespace: started detached (its own process group),
 * output appended to a log file, stopped with SIGTERM then SIGKILL, readiness waits that give up
 * as soon as the process dies and report the tail of its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { killGroup } from './command';
import { waitUntil } from './wait';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How a ManagedProcess probes readiness; implemented by the namespace it runs in. */
export interface ReadinessProbe {
  canConnect(host: string, port: number): Promise<boolean>;
  httpStatus(url: string): Promise<number | undefined>;
}

export interface ManagedProcessSpec {
  name: string;
  /** Full argv, including the `ip netns exec … setpriv …` prefix. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  cwd?: string;
  probe: ReadinessProbe;
}

const DefaultReadyTimeoutMs = 15_000;
const DefaultStopGraceMs = 3_000;

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;
  private readonly probe: ReadinessProbe;
  private readonly child: ChildProcess;

  constructor(spec: ManagedProcessSpec) {
    this.name = spec.name;
    this.logFile = spec.logFile;
    this.probe = spec.probe;
    const fd = openSync(spec.logFile, 'a', 0o644);
    try {
      const [file, ...args] = spec.argv;
      const child = spawn(file!, args, { env: spec.env, cwd: spec.cwd, stdio: ['ignore', fd, fd], detached: true });
      if (child.pid === undefined) throw new Error(`cannot start ${spec.name}: ${spec.argv.join(' ')}`);
      this.child = child;
      this.pid = child.pid;
      this.exited = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
          this.status = { code, signal };
          resolve(this.status);
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  /** undefined while running; the exit code/signal once it has exited. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  get running(): boolean {
    return this.status === undefined;
  }

  /** Waits until `host:port` accepts TCP connections (probed from inside the process's namespace). */
  async waitForPort(port: number, options: { host?: string; timeoutMs?: number } = {}): Promise<void> {
    const host = options.host ?? '127.0.0.1';
    await this.waitReady(`${host}:${port} to accept connections`, options.timeoutMs, () => this.probe.canConnect(host, port));
  }

  /** Waits until `url` answers with `status` (default: any 2xx). */
  async waitForHttp(url: string, options: { status?: number; timeoutMs?: number } = {}): Promise<void> {
    const ok = (s: number | undefined) => s !== undefined && (options.status === undefined ? s >= 200 && s < 300 : s === options.status);
    await this.waitReady(`${url} to answer ${options.status ?? '2xx'}`, options.timeoutMs, async () => ok(await this.probe.httpStatus(url)));
  }

  /** Waits until the log contains `pattern`. */
  async waitForLog(pattern: RegExp | string, options: { timeoutMs?: number } = {}): Promise<void> {
    const matches = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
    await this.waitReady(`log line ${String(pattern)}`, options.timeoutMs, async () => matches(await this.log()));
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves with the exit status. */
  async stop(graceMs = DefaultStopGraceMs): Promise<ExitStatus> {
    if (this.status) return this.status;
    killGroup(this.pid, 'SIGTERM');
    const graceful = await this.exitWithin(graceMs);
    if (graceful) return graceful;
    killGroup(this.pid, 'SIGKILL');
    const killed = await this.exitWithin(5_000);
    if (!killed) throw new Error(`${this.name} (pid ${this.pid}) did not exit after SIGKILL`);
    return killed;
  }

  /** The exit status if the process exits within `ms`, else undefined (no timer left behind). */
  private async exitWithin(ms: number): Promise<ExitStatus | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets the test runner exit while this process keeps running (SKEIN_HARNESS_KEEP=1). */
  release(): void {
    this.child.unref();
  }

  /** Sends a signal to the whole process group (e.g. SIGHUP for a reload). */
  signal(signal: NodeJS.Signals): void {
    killGroup(this.pid, signal);
  }

  async log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /** The last `lines` lines of the log. */
  async tail(lines = 40): Promise<string> {
    return (await this.log()).trimEnd().split('\n').slice(-lines).join('\n');
  }

  private async waitReady(what: string, timeoutMs = DefaultReadyTimeoutMs, check: () => Promise<boolean>): Promise<void> {
    try {
      await waitUntil(check, {
        what: `${this.name}: ${what}`,
        timeoutMs,
        giveUp: () => (this.status ? `process exited (${this.status.signal ?? `code ${this.status.code}`})` : undefined),
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- last lines of ${this.logFile} ---\n${await this.tail(20)}`);
    }
  }
}
