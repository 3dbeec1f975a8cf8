/**
 * A pod's status as the kubelet reports it (pkg/kubelet/kubelet_pods.go generateAPIPodStatus,
 * getPhase; pkg/kubelet/status/generate.go): container statuses from the records (state,
 * lastState, ready, started, restartCount), the phase, and the kubelet-owned conditions
 * (PodReadyToStartContainers, Initialized, Ready, ContainersReady) with their reasons and
 * messages. Conditions owned by others (PodScheduled, readiness gates) are kept as they are, and a
 * condition's lastTransitionTime moves only when its status changes.
 */
import { type ContainerRecord } from './containers';
import { type Container, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from './types';

export interface StatusInput {
  pod: Pod;
  records: readonly ContainerRecord[];
  initialized: boolean;
  sandboxReady: boolean;
  podIP: string | undefined;
  hostIP: string;
  startTime: number | undefined;
  /** The pod will run nothing more (completed, failed or deleted and stopped). */
  terminal: boolean;
  now: number;
}

const KubeletConditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'];

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function podStatus(input: StatusInput): PodStatus {
  const { pod, records } = input;
  const spec = pod.spec!;
  const byName = new Map(records.map((r) => [r.name, r]));
  const initialized = input.initialized || (spec.initContainers ?? []).length === 0;
  const initStatuses = (spec.initContainers ?? []).map((c) => containerStatus(c, byName.get(c.name), initialized, true));
  const statuses = spec.containers.map((c) => containerStatus(c, byName.get(c.name), initialized, false));
  const old = pod.status ?? {};
  const phase = old.phase === 'Succeeded' || old.phase === 'Failed' ? old.phase : podPhase(pod, initStatuses, statuses, input.terminal);

  const conditions = [
    { type: 'PodReadyToStartContainers', status: input.sandboxReady ? 'True' : 'False' },
    initializedCondition(pod, initStatuses, initialized),
    ...readyConditions(pod, initStatuses, statuses, phase),
  ].map((c) => withTransitionTime(c, old.conditions, input.now));
  const foreign = (old.conditions ?? []).filter((c) => !KubeletConditions.includes(c.type));

  const status: PodStatus = {
    phase,
    conditions: [...conditions, ...foreign],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(input.podIP ? { podIP: input.podIP, podIPs: [{ ip: input.podIP }] } : old.podIP ? { podIP: old.podIP, podIPs: old.podIPs } : {}),
    ...(input.startTime !== undefined ? { startTime: kubeTime(input.startTime) } : {}),
    ...(initStatuses.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
  };
  if (old.qosClass) status.qosClass = old.qosClass;
  return status;
}

function terminatedState(t: NonNullable<ContainerRecord['last']>) {
  return {
    terminated: {
      exitCode: t.exitCode,
      ...(t.signal !== undefined ? { signal: t.signal } : {}),
      reason: t.reason,
      ...(t.message ? { message: t.message } : {}),
      startedAt: kubeTime(t.startedAt),
      finishedAt: kubeTime(t.finishedAt),
      containerID: t.containerID,
    },
  };
}

function containerStatus(spec: Container, r: ContainerRecord | undefined, podInitialized: boolean, isInit: boolean): ContainerStatus {
  const status: ContainerStatus = { name: spec.name, image: spec.image ?? '', imageID: r?.imageID ?? '', ready: false, restartCount: r?.restartCount ?? 0, started: false, state: {} };
  const current = r?.current;
  const defaultWaiting = { reason: isInit || !podInitialized ? 'PodInitializing' : 'ContainerCreating' };
  if (current?.state === 'running') {
    status.state = { running: { startedAt: kubeTime(current.startedAt) } };
    status.ready = current.ready;
    status.started = current.started;
    status.containerID = current.containerID;
    if (r!.last) status.lastState = terminatedState(r!.last);
  } else if (current?.state === 'exited') {
    status.containerID = current.terminated.containerID;
    if (r!.waiting) {
      status.state = { waiting: { ...r!.waiting } };
      status.lastState = terminatedState(current.terminated);
    } else {
      status.state = terminatedState(current.terminated);
      status.ready = isInit && spec.restartPolicy !== 'Always' && current.terminated.exitCode === 0;
      if (r!.last) status.lastState = terminatedState(r!.last);
    }
  } else {
    status.state = { waiting: { ...(r?.waiting ?? defaultWaiting) } };
    if (r?.last) status.lastState = terminatedState(r.last);
  }
  return status;
}

type Phase = NonNullable<PodStatus['phase']>;

function podPhase(pod: Pod, init: readonly ContainerStatus[], regular: readonly ContainerStatus[], terminal: boolean): Phase {
  const spec = pod.spec!;
  let pendingRegularInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  (spec.initContainers ?? []).forEach((c, i) => {
    const s = init[i]!;
    if (c.restartPolicy === 'Always') {
      if (!s.state?.running || !s.started) pendingSidecars++;
      return;
    }
    if (s.state?.running) pendingRegularInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.lastState?.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingRegularInit++;
  });
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of regular) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  const policy = spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingRegularInit > 0 || (pendingSidecars > 0 && running === 0 && stopped === 0)) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function initializedCondition(pod: Pod, init: readonly ContainerStatus[], initialized: boolean): PodCondition {
  if (initialized || init.length === 0) return { type: 'Initialized', status: 'True' };
  const incomplete = (pod.spec!.initContainers ?? []).filter((c, i) => {
    const s = init[i]!;
    return c.restartPolicy === 'Always' ? !(s.state?.running && s.started) : s.state?.terminated?.exitCode !== 0;
  }).map((c) => c.name);
  return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` };
}

function readyConditions(pod: Pod, init: readonly ContainerStatus[], regular: readonly ContainerStatus[], phase: Phase): PodCondition[] {
  const unready = [
    ...(pod.spec!.initContainers ?? []).filter((c, i) => c.restartPolicy === 'Always' && !init[i]!.ready).map((c) => c.name),
    ...regular.filter((s) => !s.ready).map((s) => s.name),
  ];
  let containersReady: PodCondition;
  if (phase === 'Succeeded') containersReady = { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  else if (phase === 'Failed') containersReady = { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  else if (unready.length > 0) containersReady = { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  else containersReady = { type: 'ContainersReady', status: 'True' };
  if (containersReady.status !== 'True') return [{ ...containersReady, type: 'Ready' }, containersReady];
  const gates = pod.spec!.readinessGates ?? [];
  for (const gate of gates) {
    const c = pod.status?.conditions?.find((x) => x.type === gate.conditionType);
    if (!c) return [{ type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.` }, containersReady];
    if (c.status !== 'True') return [{ type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}` }, containersReady];
  }
  return [{ type: 'Ready', status: 'True' }, containersReady];
}

function withTransitionTime(c: PodCondition, old: readonly PodCondition[] | undefined, now: number): PodCondition {
  const previous = old?.find((o) => o.type === c.type);
  const lastTransitionTime = previous && previous.status === c.status && previous.lastTransitionTime ? previous.lastTransitionTime : kubeTime(now);
  return { type: c.type, status: c.status, lastTransitionTime, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) };
}
