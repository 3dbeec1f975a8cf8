/**
 * What the node knows about each container of a pod: its kind (init, native sidecar, regular),
 * the current instance (running, or exited with its exit code), the previous one, restarts, and
 * why it is waiting. The kubelet's pod-level decisions (lifecycle.ts) and the pod status
 * (status.ts) are both computed from these records.
 */
import { type Container, type Pod } from './types';

export type ContainerKind = 'init' | 'sidecar' | 'regular';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface Terminated {
  exitCode: number;
  /** Signal number, when the process was killed by one. */
  signal?: number;
  /** Completed (exit 0), Error, StartError… */
  reason: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
  containerID: string;
}

export type Instance =
  /** The process runs; `started` once its postStart hook returned and its startup probe passed. */
  | { state: 'running'; containerID: string; startedAt: number; started: boolean; ready: boolean }
  | { state: 'exited'; terminated: Terminated };

export interface ContainerRecord {
  name: string;
  kind: ContainerKind;
  image: string;
  imageID?: string;
  restartCount: number;
  current?: Instance;
  /** The instance before the current one (`lastState`). */
  last?: Terminated;
  /** Why the container is not running now (shown while it has no running instance). */
  waiting?: { reason: string; message?: string };
}

export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

export function restartPolicy(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy ?? 'Always';
  if (p !== 'Always' && p !== 'OnFailure' && p !== 'Never') throw new Error(`invalid restartPolicy "${p}"`);
  return p;
}

/** Fresh records for a pod: init containers (and sidecars) in order, then regular containers. */
export function initialRecords(pod: Pod): ContainerRecord[] {
  const init = (pod.spec?.initContainers ?? []).map((c): ContainerRecord => ({ name: c.name, kind: isSidecar(c) ? 'sidecar' : 'init', image: c.image ?? '', restartCount: 0 }));
  const regular = (pod.spec?.containers ?? []).map((c): ContainerRecord => ({ name: c.name, kind: 'regular', image: c.image ?? '', restartCount: 0 }));
  return [...init, ...regular];
}

export function isRunning(r: ContainerRecord): boolean {
  return r.current?.state === 'running';
}

export function exitCode(r: ContainerRecord): number | undefined {
  return r.current?.state === 'exited' ? r.current.terminated.exitCode : undefined;
}

/** Whether an exited container of this kind is restarted under the pod's restart policy. */
export function restartsAfterExit(kind: ContainerKind, policy: RestartPolicy, code: number): boolean {
  if (kind === 'sidecar') return true;
  if (kind === 'init') return policy !== 'Never' && code !== 0;
  return policy === 'Always' || (policy === 'OnFailure' && code !== 0);
}
