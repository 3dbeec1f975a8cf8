/**
 * Names of everything a harness run creates (network namespaces, temp dirs, /etc/netns entries).
 * Each name starts with the run id `skh<pid>x<seq>`, so parallel runs never collide and the sweeper
 * can tell whether the run that made a leftover is still alive.
 */

export const HarnessPrefix = 'skh';

const runIdPattern = /^skh(\d+)x(\d+)(?:[-.]|$)/;
/** DNS label, as Kubernetes requires for pod, namespace and service names. */
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `skh<pid>x<seq>`: unique per process and per mesh within the process. */
export function runId(pid: number, seq: number): string {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
  if (!Number.isInteger(seq) || seq < 0) throw new Error(`invalid sequence number ${seq}`);
  return `${HarnessPrefix}${pid}x${seq}`;
}

let runsInProcess = 0;

/**
 * A fresh run id for this process: every harness object (a Mesh, a simulated node) takes its own,
 * from one counter, so two of them in the same test file never share names.
 */
export function nextRunId(): string {
  return runId(process.pid, runsInProcess++);
}

/** The pid of the process that created a harness object, or undefined if the name is not ours. */
export function ownerPid(name: string): number | undefined {
  const m = runIdPattern.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Network namespace of the mesh's "node" (it holds the bridge). */
export function nodeNetnsName(run: string): string {
  return `${run}-node`;
}

/** Network namespace of one pod: `<run>-<namespace>.<pod>` (a DNS label has no dot: unambiguous). */
export function podNetnsName(run: string, namespace: string, pod: string): string {
  return `${run}-${namespace}.${pod}`;
}

/** Throws a readable error unless `value` is a DNS label (pod, namespace and service names). */
export function checkDnsLabel(kind: string, value: string): string {
  if (!dnsLabel.test(value)) {
    throw new Error(`invalid ${kind} name "${value}": use a DNS label (lowercase letters, digits and '-', at most 63 characters)`);
  }
  return value;
}
