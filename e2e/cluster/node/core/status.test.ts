import { type ContainerRecord, type Instance } from './containers';
import { kubeTime, podStatus, type StatusInput } from './status';
import { type Pod } from './types';

const t0 = Date.parse('2026-01-01T10:00:00Z');
const running = (started = true, ready = started): Instance => ({ state: 'running', containerID: 'skein-node://c1', startedAt: t0, started, ready });
const exited = (exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): Instance => ({ state: 'exited', terminated: { exitCode, reason, startedAt: t0, finishedAt: t0 + 5_000, containerID: 'skein-node://c0' } });

const pod: Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: {
    restartPolicy: 'Always',
    initContainers: [{ name: 'init', image: 'busybox' }, { name: 'proxy', image: 'skein', restartPolicy: 'Always' }],
    containers: [{ name: 'app', image: 'echo' }],
  },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T09:59:59Z' }] },
};

function input(records: Partial<Record<'init' | 'proxy' | 'app', Partial<ContainerRecord>>>, extra: Partial<StatusInput> = {}): StatusInput {
  const base: ContainerRecord[] = [
    { name: 'init', kind: 'init', image: 'busybox', restartCount: 0 },
    { name: 'proxy', kind: 'sidecar', image: 'skein', restartCount: 0 },
    { name: 'app', kind: 'regular', image: 'echo', restartCount: 0 },
  ];
  return {
    pod, records: base.map((r) => ({ ...r, ...records[r.name as 'init'] })), initialized: false, sandboxReady: true,
    podIP: '10.244.0.5', hostIP: '10.244.0.1', startTime: t0, terminal: false, now: t0 + 10_000, ...extra,
  };
}
const condition = (s: ReturnType<typeof podStatus>, type: string) => s.conditions?.find((c) => c.type === type);

describe('pod status', () => {
  it('initializing: Pending, Initialized=False naming the incomplete init containers', () => {
    const s = podStatus(input({ init: { current: running() } }));
    expect(s.phase).toBe('Pending');
    expect(condition(s, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init proxy]' });
    expect(s.initContainerStatuses?.[0]).toMatchObject({ name: 'init', state: { running: { startedAt: '2026-01-01T10:00:00Z' } }, containerID: 'skein-node://c1' });
    expect(s.initContainerStatuses?.[1]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(s.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(s).toMatchObject({ podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }], hostIP: '10.244.0.1', startTime: '2026-01-01T10:00:00Z' });
  });

  it('running and ready: Running, Ready and ContainersReady True, a completed init container is ready', () => {
    const s = podStatus(input({ init: { current: exited(0) }, proxy: { current: running() }, app: { current: running() } }, { initialized: true }));
    expect(s.phase).toBe('Running');
    expect(condition(s, 'Ready')).toMatchObject({ status: 'True' });
    expect(condition(s, 'ContainersReady')).toMatchObject({ status: 'True' });
    expect(s.initContainerStatuses?.[0]).toMatchObject({ ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(s.conditions?.map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(condition(s, 'PodScheduled')?.lastTransitionTime).toBe('2026-01-01T09:59:59Z');
  });

  it('an unready sidecar keeps the pod unready', () => {
    const s = podStatus(input({ init: { current: exited(0) }, proxy: { current: running(true, false) }, app: { current: running() } }, { initialized: true }));
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [proxy]' });
  });

  it('a crash loop: waiting CrashLoopBackOff with the last termination, still Running under Always', () => {
    const app = { current: exited(2), restartCount: 3, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=web_default(u1)' } };
    const s = podStatus(input({ init: { current: exited(0) }, proxy: { current: running() }, app }, { initialized: true }));
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses?.[0]).toMatchObject({ restartCount: 3, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 2, reason: 'Error' } } });
  });

  it.each([
    ['Never', 0, false, 'Succeeded'],
    ['Never', 1, false, 'Failed'],
    ['OnFailure', 0, false, 'Succeeded'],
    ['Always', 0, false, 'Running'],
    ['Always', 143, true, 'Failed'],
    ['Always', 0, true, 'Succeeded'],
  ] as const)('restartPolicy %s, app exit %d, terminal %s → %s', (restartPolicy, code, terminal, phase) => {
    const p = { ...pod, spec: { ...pod.spec!, restartPolicy } };
    const s = podStatus({ ...input({ init: { current: exited(0) }, proxy: { current: exited(0) }, app: { current: exited(code) } }, { initialized: true, terminal }), pod: p });
    expect(s.phase).toBe(phase);
  });

  it('a completed pod says PodCompleted; a terminal phase is sticky', () => {
    const done: Pod = { ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' }, status: { ...pod.status, phase: 'Succeeded' } };
    const s = podStatus({ ...input({ app: { current: exited(0) } }, { initialized: true }), pod: done });
    expect(s.phase).toBe('Succeeded');
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('restartPolicy Never: a failed init container fails the pod', () => {
    const p: Pod = { ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } };
    expect(podStatus({ ...input({ init: { current: exited(1) } }), pod: p }).phase).toBe('Failed');
  });

  it('image pull failures show as the waiting reason', () => {
    const s = podStatus(input({ init: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }));
    expect(s.initContainerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ErrImagePull', message: 'not found' } });
  });

  it('readiness gates: Ready waits for the gate condition', () => {
    const p = { ...pod, spec: { ...pod.spec!, readinessGates: [{ conditionType: 'example.com/lb' }] } };
    const s = podStatus({ ...input({ init: { current: exited(0) }, proxy: { current: running() }, app: { current: running() } }, { initialized: true }), pod: p });
    expect(condition(s, 'ContainersReady')?.status).toBe('True');
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.' });
  });

  it('a condition keeps its lastTransitionTime while its status stays the same', () => {
    const first = podStatus(input({}));
    const later = podStatus({ ...input({}, { now: t0 + 60_000 }), pod: { ...pod, status: first } });
    expect(condition(later, 'Initialized')?.lastTransitionTime).toBe(kubeTime(t0 + 10_000));
  });
});
