import { type ContainerKind, type ContainerRecord, type Instance } from './containers';
import { podActions, sidecarStopOrder } from './lifecycle';

const running = (started = true): Instance => ({ state: 'running', containerID: 'x', startedAt: 0, started, ready: started });
const exited = (exitCode: number): Instance => ({ state: 'exited', terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: 0, finishedAt: 1, containerID: 'x' } });

function rec(name: string, kind: ContainerKind, current?: Instance): ContainerRecord {
  return { name, kind, image: 'i', restartCount: 0, ...(current ? { current } : {}) };
}
const always = () => true;
const never = () => false;

describe('pod actions (kubelet ordering)', () => {
  it('starts the first init container alone', () => {
    const r = [rec('init-1', 'init'), rec('init-2', 'init'), rec('app', 'regular')];
    expect(podActions(r, 'Always', false, always)).toMatchObject({ initialized: false, start: ['init-1'] });
  });

  it('waits for a running init container, then starts the next one after it succeeded', () => {
    expect(podActions([rec('init-1', 'init', running()), rec('init-2', 'init'), rec('app', 'regular')], 'Always', false, always).start).toEqual([]);
    expect(podActions([rec('init-1', 'init', exited(0)), rec('init-2', 'init'), rec('app', 'regular')], 'Always', false, always).start).toEqual(['init-2']);
  });

  it('a native sidecar: the next init container waits until it has started, not until it exits', () => {
    const notStarted = [rec('init-1', 'init', exited(0)), rec('proxy', 'sidecar', running(false)), rec('init-2', 'init'), rec('app', 'regular')];
    expect(podActions(notStarted, 'Always', false, always).start).toEqual([]);
    const started = [rec('init-1', 'init', exited(0)), rec('proxy', 'sidecar', running(true)), rec('init-2', 'init'), rec('app', 'regular')];
    expect(podActions(started, 'Always', false, always).start).toEqual(['init-2']);
  });

  it('once initialized, starts every regular container in spec order', () => {
    const r = [rec('proxy', 'sidecar', running()), rec('init', 'init', exited(0)), rec('app', 'regular'), rec('helper', 'regular')];
    expect(podActions(r, 'Always', false, always)).toMatchObject({ initialized: true, start: ['app', 'helper'], complete: false });
  });

  it('a failed init container restarts (after back-off) unless restartPolicy is Never', () => {
    const r = [rec('init', 'init', exited(1)), rec('app', 'regular')];
    expect(podActions(r, 'Always', false, always).start).toEqual(['init']);
    expect(podActions(r, 'OnFailure', false, never)).toMatchObject({ start: [], backingOff: ['init'] });
    expect(podActions(r, 'Never', false, always)).toMatchObject({ start: [], initFailed: true, complete: true });
  });

  it('initialization is sticky: init containers are not looked at again', () => {
    const r = [rec('init', 'init', exited(0)), rec('app', 'regular', running())];
    expect(podActions(r, 'Always', true, always)).toMatchObject({ initialized: true, start: [] });
  });

  it.each([
    ['Always', 0, ['app'], false],
    ['Always', 1, ['app'], false],
    ['OnFailure', 1, ['app'], false],
    ['OnFailure', 0, [], true],
    ['Never', 1, [], true],
  ] as const)('restartPolicy %s, exit %d: restart %j, complete %s', (policy, code, start, complete) => {
    const r = [rec('app', 'regular', exited(code))];
    expect(podActions(r, policy, true, always)).toMatchObject({ start, complete });
  });

  it('a crashed sidecar restarts while the app runs, and the pod completes when the app is done', () => {
    expect(podActions([rec('proxy', 'sidecar', exited(137)), rec('job', 'regular', running())], 'Never', true, always).start).toEqual(['proxy']);
    expect(podActions([rec('proxy', 'sidecar', running()), rec('job', 'regular', exited(0))], 'Never', true, always)).toMatchObject({ complete: true, start: [] });
  });

  it('back-off holds restarts', () => {
    expect(podActions([rec('app', 'regular', exited(2))], 'Always', true, never)).toMatchObject({ start: [], backingOff: ['app'] });
  });

  it('sidecars stop in reverse declaration order', () => {
    expect(sidecarStopOrder([rec('a', 'sidecar'), rec('i', 'init'), rec('b', 'sidecar'), rec('app', 'regular')])).toEqual(['b', 'a']);
  });
});
