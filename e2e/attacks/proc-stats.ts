/**
 * What an attack costs a process, read from /proc (the suite runs as root): open descriptors,
 * resident memory, CPU time. Numbers for the report and for "back to baseline" checks; never
 * for timing asserts.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  fds: number;
  rssKb: number;
  /** user + system CPU time since start. */
  cpuMs: number;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function sample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  // /proc/<pid>/stat: the comm field may hold spaces; fields after its closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return { fds: fdCount(pid), rssKb: rss ? Number(rss[1]) : 0, cpuMs: ticks * 10 };
}

/** One line of the suite's before/after table. */
export interface AttackRecord {
  vector: string;
  before: ProcSample;
  peak?: Partial<ProcSample>;
  after: ProcSample;
  /** Requests the app parsed during the attack (from its byte log). */
  appRequests: number;
  /** Anything else worth a column (attempts sent, 503s seen, connections opened…). */
  notes?: Record<string, number | string | boolean>;
}
