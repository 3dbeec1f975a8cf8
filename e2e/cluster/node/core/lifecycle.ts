/**
 * The kubelet's decision of what to do next with a pod's containers (its computePodActions), as a
 * pure function of the container records:
 * - init containers run one at a time in order, each to a successful exit; a failed one restarts
 *   (after back-off) unless the pod's restartPolicy is Never, which fails the pod;
 * - a native sidecar (init container with restartPolicy Always) is started in its place in that
 *   order, and the next init container waits only until it has *started* (postStart returned,
 *   startup probe passed); it is restarted whenever it exits;
 * - once initialized (sticky), every regular container is started, in spec order; exited ones
 *   restart per restartPolicy;
 * - when every regular container has exited for good (restartPolicy OnFailure/Never), the pod is
 *   complete: its sidecars are stopped (in reverse order, by the executor) and it ends Succeeded
 *   or Failed.
 * Back-off is decided by the caller (`mayRestart`).
 */
import { type ContainerRecord, exitCode, type RestartPolicy, restartsAfterExit } from './containers';

export interface PodActions {
  /** All init containers are done (regular ones succeeded, sidecars started). Sticky. */
  initialized: boolean;
  /** Containers to start now, in this order (each after the previous one's postStart). */
  start: string[];
  /** Containers that would restart but are in back-off. */
  backingOff: string[];
  /** Every regular container has exited for good, or an init container failed under Never. */
  complete: boolean;
  /** An init container failed with restartPolicy Never: the pod fails. */
  initFailed: boolean;
}

export function podActions(records: readonly ContainerRecord[], policy: RestartPolicy, wasInitialized: boolean, mayRestart: (r: ContainerRecord) => boolean): PodActions {
  const actions: PodActions = { initialized: wasInitialized, start: [], backingOff: [], complete: false, initFailed: false };
  const restartOrWait = (r: ContainerRecord) => (mayRestart(r) ? actions.start : actions.backingOff).push(r.name);
  const regular = records.filter((r) => r.kind === 'regular');
  const sidecars = records.filter((r) => r.kind === 'sidecar');

  if (!wasInitialized) {
    let blocked = false;
    for (const r of records) {
      if (r.kind === 'regular') break;
      const current = r.current;
      if (r.kind === 'sidecar') {
        if (!current) actions.start.push(r.name);
        else if (current.state === 'exited') restartOrWait(r);
        else if (current.started) continue;
        blocked = true;
        break;
      }
      if (!current) {
        actions.start.push(r.name);
        blocked = true;
        break;
      }
      if (current.state === 'running') {
        blocked = true;
        break;
      }
      if (current.terminated.exitCode === 0) continue;
      if (policy === 'Never') {
        actions.initFailed = true;
        actions.complete = true;
        return actions;
      }
      restartOrWait(r);
      blocked = true;
      break;
    }
    if (blocked) return actions;
    actions.initialized = true;
  }

  const done = (r: ContainerRecord) => {
    const code = exitCode(r);
    return code !== undefined && !restartsAfterExit('regular', policy, code);
  };
  if (regular.length > 0 && regular.every(done)) {
    actions.complete = true;
    return actions;
  }
  for (const r of sidecars) if (r.current?.state === 'exited') restartOrWait(r);
  for (const r of regular) {
    if (!r.current) actions.start.push(r.name);
    else if (r.current.state === 'exited' && !done(r)) restartOrWait(r);
  }
  return actions;
}

/**
 * The order sidecars stop in when the pod completes or is deleted: each after every regular
 * container and every sidecar declared after it has stopped (reverse declaration order).
 */
export function sidecarStopOrder(records: readonly ContainerRecord[]): string[] {
  return records.filter((r) => r.kind === 'sidecar').map((r) => r.name).reverse();
}
