/**
 * The io side of `skein init-network`: runs iptables-save / iptables-restore (and the ip6tables
 * twins) with the scripts built by core/capture-rules.ts. Each change is one atomic
 * `iptables-restore --noflush` per family: it applies completely or not at all.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  applyScript, type CaptureConfig, chooseBackend, cleanupScript, InboundPassthroughSourceV6, type IpFamily, type IptablesBackend, verifyInstalled,
} from './core/capture-rules';
import { type BackendMode, type Ipv6Mode } from './flags';

export interface CommandResult {
  stdout: string;
  stderr: string;
}
/** Runs a binary with optional stdin; rejects with the binary's stderr when it fails. */
export type RunCommand = (file: string, args: readonly string[], input?: string) => Promise<CommandResult>;

export class MissingToolError extends Error {
  override name = 'MissingToolError';
  constructor(readonly tool: string) {
    super(`${tool} not found on PATH (the init image needs iptables and iproute2)`);
  }
}

const commandTimeoutMs = 30_000;

export const runCommand: RunCommand = (file, args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: commandTimeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new MissingToolError(file) : err));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${file} ${args.join(' ')} failed (${signal ? `killed by ${signal}` : `exit ${code}`}): ${stderr.trim()}`));
    });
    child.stdin.on('error', () => undefined); // the close handler reports the failure
    child.stdin.end(input ?? '');
  });

/** The image's default iptables (whatever `iptables` points to), or an explicit backend. */
export type Backend = 'default' | IptablesBackend;
const variants: readonly IptablesBackend[] = ['nft', 'legacy'];

/** `iptables-save`, `ip6tables-legacy-restore`, … */
export function toolName(family: IpFamily, backend: Backend, action: 'save' | 'restore'): string {
  const base = family === 'ipv4' ? 'iptables' : 'ip6tables';
  return backend === 'default' ? `${base}-${action}` : `${base}-${backend}-${action}`;
}

async function saveNat(run: RunCommand, family: IpFamily, backend: Backend): Promise<string> {
  return (await run(toolName(family, backend, 'save'), ['-t', 'nat'])).stdout;
}

/** Wait up to this long for the xtables lock (iptables-legacy; nf_tables needs none). */
const xtablesLockWaitSeconds = 10;

async function restore(run: RunCommand, tool: string, script: string): Promise<void> {
  try {
    await run(tool, ['--noflush', '--wait', String(xtablesLockWaitSeconds)], script);
  } catch (err) {
    if (err instanceof MissingToolError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\nscript was:\n${script}`);
  }
}

async function toolPresent(run: RunCommand, tool: string): Promise<boolean> {
  try {
    await run(tool, ['--version']);
    return true;
  } catch (err) {
    if (err instanceof MissingToolError) return false;
    throw err;
  }
}

/** /proc/net/if_inet6 rows: address (32 hex), ifindex, prefix, scope, flags, interface. */
interface Inet6Address {
  hex: string;
  scope: number;
  device: string;
}

/** The system calls init-network makes; tests pass fakes. */
export interface InitIo {
  run: RunCommand;
  /** Contents of /proc/net/if_inet6, or undefined when IPv6 is disabled. */
  readInet6(): Promise<string | undefined>;
}

export const systemIo: InitIo = {
  run: runCommand,
  async readInet6() {
    try {
      return await readFile('/proc/net/if_inet6', 'utf8');
    } catch {
      return undefined; // IPv6 disabled in this kernel / network namespace
    }
  },
};

async function inet6Addresses(io: InitIo): Promise<Inet6Address[] | undefined> {
  const text = await io.readInet6();
  if (text === undefined) return undefined;
  return text.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [hex = '', , , scope = '0', , device = ''] = line.trim().split(/\s+/);
    return { hex, scope: parseInt(scope, 16), device };
  });
}

/**
 * Whether to install ip6tables rules. `auto`: when the pod has a global IPv6 address; then a
 * missing ip6tables is an error (IPv6 traffic would bypass the proxy), not a silent skip.
 */
export async function resolveIpv6(mode: Ipv6Mode, backend: Backend, io: InitIo): Promise<boolean> {
  if (mode === 'off') return false;
  const addresses = await inet6Addresses(io);
  if (mode === 'auto' && !(addresses ?? []).some((a) => a.scope === 0)) return false;
  if (addresses === undefined) throw new Error('--ipv6 on: IPv6 is disabled in this network namespace');
  const tool = toolName('ipv6', backend, 'restore');
  if (!(await toolPresent(io.run, tool))) {
    throw new Error(`${mode === 'on' ? '--ipv6 on' : 'the pod has a global IPv6 address'} but ${tool} is missing; install it or pass --ipv6 off`);
  }
  return true;
}

/** Full iptables-save (+ ip6tables-save) output of each backend whose tools work here. */
async function backendSaves(io: InitIo): Promise<Partial<Record<IptablesBackend, string>>> {
  const saves: Partial<Record<IptablesBackend, string>> = {};
  for (const backend of variants) {
    try {
      saves[backend] = (await io.run(toolName('ipv4', backend, 'save'), [])).stdout;
    } catch {
      continue; // not installed, or the kernel lacks this interface
    }
    try {
      saves[backend] += (await io.run(toolName('ipv6', backend, 'save'), [])).stdout;
    } catch {
      // no IPv6 tables: the IPv4 dump decides
    }
  }
  return saves;
}

/** `auto`: the backend the pod's rules already live in (see chooseBackend), else the default. */
export async function resolveBackend(mode: BackendMode, io: InitIo): Promise<Backend> {
  if (mode !== 'auto') return mode;
  return chooseBackend(await backendSaves(io)) ?? 'default';
}

const passthroughV6Hex = '00000000000000000000000000000006';

async function hasPassthroughV6(io: InitIo): Promise<boolean> {
  return (await inet6Addresses(io))?.some((a) => a.hex === passthroughV6Hex && a.device === 'lo') ?? false;
}

/** Adds ::6 to lo so that the inbound proxy can use it as its IPv6 passthrough source. */
async function ensurePassthroughV6(io: InitIo): Promise<void> {
  if (!(await hasPassthroughV6(io))) await io.run('ip', ['-6', 'addr', 'add', `${InboundPassthroughSourceV6}/128`, 'dev', 'lo', 'nodad']);
}

async function removePassthroughV6(io: InitIo): Promise<void> {
  if (await hasPassthroughV6(io)) await io.run('ip', ['-6', 'addr', 'del', `${InboundPassthroughSourceV6}/128`, 'dev', 'lo']);
}

export interface AppliedScript {
  family: IpFamily;
  /** The restore binary that took the script, e.g. `iptables-restore`. */
  tool: string;
  script: string;
}

/** Where the rules of a pod go: the backend and the address families its options select. */
export interface CaptureTarget {
  backend: Backend;
  families: IpFamily[];
}

export async function resolveTarget(options: { backend: BackendMode; ipv6: Ipv6Mode }, io: InitIo = systemIo): Promise<CaptureTarget> {
  const backend = await resolveBackend(options.backend, io);
  const families: IpFamily[] = (await resolveIpv6(options.ipv6, backend, io)) ? ['ipv4', 'ipv6'] : ['ipv4'];
  return { backend, families };
}

async function problemsIn(config: CaptureConfig, family: IpFamily, backend: Backend, io: InitIo): Promise<string[]> {
  return verifyInstalled(config, family, await saveNat(io.run, family, backend));
}

/** Reads the rules back: what is missing for each family (empty when everything is in place). */
export async function checkCapture(config: CaptureConfig, { backend, families }: CaptureTarget, io: InitIo = systemIo): Promise<string[]> {
  const problems: string[] = [];
  for (const family of families) problems.push(...(await problemsIn(config, family, backend, io)).map((p) => `${family}: ${p}`));
  return problems;
}

/** Installs (or re-installs, idempotently) the capture rules for each family, then reads them back. */
export async function applyCapture(config: CaptureConfig, families: readonly IpFamily[], backend: Backend, io: InitIo = systemIo): Promise<AppliedScript[]> {
  const applied: AppliedScript[] = [];
  for (const family of families) {
    const tool = toolName(family, backend, 'restore');
    const script = applyScript(config, family, await saveNat(io.run, family, backend));
    await restore(io.run, tool, script);
    const problems = await problemsIn(config, family, backend, io);
    if (problems.length > 0) throw new Error(`${tool} succeeded but the rules are not in place: ${problems.join('; ')}`);
    if (family === 'ipv6') await ensurePassthroughV6(io);
    applied.push({ family, tool, script });
  }
  return applied;
}

/**
 * Removes Skein's jumps and chains for each family from every backend that holds them (or the
 * default tools when no backend variant is installed); returns the scripts it ran.
 */
export async function cleanupCapture(families: readonly IpFamily[], io: InitIo = systemIo): Promise<AppliedScript[]> {
  const available = Object.keys(await backendSaves(io)) as IptablesBackend[];
  const backends: Backend[] = available.length > 0 ? available : ['default'];
  const ipv6 = families.includes('ipv6') && (await io.readInet6()) !== undefined;
  const removed: AppliedScript[] = [];
  for (const backend of backends) {
    for (const family of families) {
      if (family === 'ipv6' && !(ipv6 && (await toolPresent(io.run, toolName(family, backend, 'save'))))) continue;
      const script = cleanupScript(await saveNat(io.run, family, backend));
      if (script === undefined) continue;
      const tool = toolName(family, backend, 'restore');
      await restore(io.run, tool, script);
      removed.push({ family, tool, script });
    }
  }
  if (ipv6) await removePassthroughV6(io);
  return removed;
}
