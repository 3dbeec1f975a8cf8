/**
 * Removes what crashed earlier runs left behind: network namespaces (after killing the processes
 * in them), /etc/netns entries and temp dirs whose names carry the harness prefix and whose owning
 * pid is dead. Objects of live runs, including this process's, are never touched.
 */
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, run } from './command';
import { ownerPid } from './names';

export const EtcNetnsDir = '/etc/netns';

/** Names made by a harness run whose process is no longer alive. */
export function staleNames(names: readonly string[], alive: (pid: number) => boolean): string[] {
  return names.filter((name) => {
    const pid = ownerPid(name);
    return pid !== undefined && !alive(pid);
  });
}

export async function listNetns(): Promise<string[]> {
  const { stdout } = await run(['ip', 'netns', 'list']);
  return stdout.split('\n').map((line) => line.split(' ')[0]!).filter((n) => n !== '');
}

/** SIGKILLs every process in the namespace, then deletes it. Missing namespaces are fine. */
export async function deleteNetns(name: string): Promise<void> {
  const pids = await run(['ip', 'netns', 'pids', name], { allowFailure: true });
  for (const pid of pids.stdout.split('\n').map(Number).filter((p) => p > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const r = await run(['ip', 'netns', 'delete', name], { allowFailure: true });
  if (r.code !== 0 && !/No such file|not found|Cannot remove namespace file/.test(r.stderr)) {
    throw new Error(`ip netns delete ${name}: ${r.stderr.trim()}`);
  }
}

async function dirEntries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

export interface SweepResult {
  netns: string[];
  paths: string[];
}

export async function sweepLeftovers(alive: (pid: number) => boolean = isAlive): Promise<SweepResult> {
  const netns = staleNames(await listNetns(), alive);
  for (const name of netns) await deleteNetns(name);
  const paths: string[] = [];
  for (const dir of [tmpdir(), EtcNetnsDir]) {
    for (const name of staleNames(await dirEntries(dir), alive)) {
      const path = join(dir, name);
      await rm(path, { recursive: true, force: true });
      paths.push(path);
    }
  }
  return { netns, paths };
}
