/**
 * Child processes of the demo (`skein ca`, `skein controlplane`, `skein proxy`): started detached
 * with their output in a log file, waited for with bounded loops, stopped with SIGTERM then SIGKILL,
 * and killed outright if the demo itself dies.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export class DemoProcessError extends Error {
  override name = 'DemoProcessError';
}

/** The skein CLI of this build (dist/cli/src/main.js next to dist/cli/src/demo/). */
export const skeinMain = path.join(__dirname, '..', 'main.js');

export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) if (p.pid) killGroup(p.pid, 'SIGKILL');
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function startSkein(name: string, args: string[], env: Record<string, string>, logDir: string): Child {
  installExitHook();
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const proc = spawn(process.execPath, ['--max-semi-space-size=2', skeinMain, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  fs.closeSync(fd);
  live.add(proc);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    live.delete(proc);
    resolve(code);
  }));
  return { name, proc, logFile, exited };
}

export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs a short skein command to completion and returns its stdout (kept in memory: join tokens are secrets). */
export function runSkein(args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [skeinMain, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new DemoProcessError(`skein ${args.slice(0, 2).join(' ')} failed: ${err.message}\n${stderr.trim().split('\n').slice(-10).join('\n')}`));
      else resolve(stdout);
    });
  });
}

export async function stopChild(c: Child, graceMs = 3000): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null || !c.proc.pid) return;
  killGroup(c.proc.pid, 'SIGTERM');
  const timer = setTimeout(() => c.proc.pid && killGroup(c.proc.pid, 'SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(timer);
}

/**
 * Where the demo's listeners go: below the kernel's ephemeral range (`ip_local_port_range`, e.g.
 * `32768 60999`), from 10000. A port from the ephemeral range can be taken by any outgoing
 * connection on the machine between the demo choosing it and its process binding it (EADDRINUSE on
 * a busy machine); ports below it are only ever taken by another listener. Pure.
 */
export function listenerPortRange(ephemeralRange: string | undefined): { low: number; high: number } {
  const start = Number(/^\s*(\d+)/.exec(ephemeralRange ?? '')?.[1]);
  return { low: 10000, high: Number.isInteger(start) && start > 11000 && start <= 65536 ? start - 1 : 32767 };
}

function listenable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '0.0.0.0', () => {
      const bound = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(bound));
    });
  });
}

/** A port free on every address (bound and released), below the ephemeral range when one is found. */
export async function freePort(random: () => number = Math.random): Promise<number> {
  let range: string | undefined;
  try {
    range = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  } catch {
    range = undefined; // not Linux: the default range
  }
  const { low, high } = listenerPortRange(range);
  for (let i = 0; i < 100; i++) {
    const port = await listenable(low + Math.floor(random() * (high - low + 1)));
    if (port !== undefined) return port;
  }
  const any = await listenable(0);
  if (any === undefined) throw new DemoProcessError('no free port to listen on');
  return any;
}

/** Polls until `check` resolves true; fails when the child exits or the time is up. */
export async function waitFor(what: string, c: Child, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) throw new DemoProcessError(`${c.name} exited while waiting for ${what}:\n${tail(c.logFile)}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DemoProcessError(`${c.name}: ${what} not reached within ${timeoutMs} ms:\n${tail(c.logFile)}`);
}

export function httpStatus(host: string, port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: urlPath, timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000, () => s.destroy());
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('close', () => resolve(false));
  });
}
