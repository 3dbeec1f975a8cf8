/**
 * Running a command to completion with a bounded timeout. Every harness call to `ip`, `tcpdump`,
 * `iptables` or a client app goes through here, so a hung command can never hang a test.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Kill the command (SIGKILL, whole process group) after this long. Default 15 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
}

export interface RunResult {
  argv: readonly string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(readonly result: RunResult) {
    const how = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
    const stderr = result.stderr.trim().split('\n').slice(-15).join('\n');
    const stdout = result.stdout.trim().split('\n').slice(-5).join('\n');
    super(`command ${how}: ${result.argv.join(' ')}${stderr ? `\nstderr:\n${stderr}` : ''}${stdout ? `\nstdout:\n${stdout}` : ''}`);
  }
}

const DefaultTimeoutMs = 15_000;
/** Output kept per stream; more is cut so a runaway command cannot exhaust memory. */
const MaxOutputBytes = 16 * 1024 * 1024;

export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    child.stdout.on('data', (b: Buffer) => { if ((outBytes += b.length) <= MaxOutputBytes) out.push(b); });
    child.stderr.on('data', (b: Buffer) => { if ((errBytes += b.length) <= MaxOutputBytes) err.push(b); });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? DefaultTimeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${argv.join(' ')}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = { argv, code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), timedOut };
      if ((code === 0 || options.allowFailure) && !timedOut) resolve(result);
      else reject(new CommandError(result));
    });
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Signals a process group (children started with `detached: true` lead their own group). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
