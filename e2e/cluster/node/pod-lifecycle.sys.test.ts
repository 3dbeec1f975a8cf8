/**
 * The simulated node runs pods the way the kubelet does: container order (init containers, native
 * sidecars, app), probes and restarts, graceful deletion, and the waiting reasons a user sees when
 * something is wrong. Every order is checked with the timestamps the containers' own processes
 * wrote, not with the node's bookkeeping.
 */
import { ApiError } from './api';
import { describeSystem } from '../../support/system';
import { BusyboxImage } from '../images';
import { listNetns } from '../../harness/sweeper';
import { waitUntil } from '../../harness/wait';
import { type Pod } from './core/types';
import { createPod, getPod, isReady, podPath, useSimulatedNode, waitForPod } from './testing/fixture';
import { mark, waitForTerm, when } from './testing/timeline';

const tools = ['ip', 'iptables', 'iptables-restore', 'nsenter', 'unshare', 'setpriv', 'openssl'];
const sh = (script: string) => ({ image: BusyboxImage, command: ['sh', '-c', script] });
const state = (pod: Pod | undefined, name: string) => [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find((c) => c.name === name);

describeSystem('simulated node: pod lifecycle', () => {
  const cluster = useSimulatedNode();

  it('runs init containers in order, starts the next one only once a native sidecar passed its startup probe, then the app; on deletion the sidecar stops after the app', async () => {
    const { client, node } = cluster();
    await createPod(client, {
      metadata: { name: 'ordered' },
      spec: {
        terminationGracePeriodSeconds: 10,
        initContainers: [
          { name: 'init-1', ...sh(`${mark('init-1 start')}; sleep 0.3; ${mark('init-1 end')}`) },
          {
            name: 'proxy',
            restartPolicy: 'Always',
            ...sh(`${mark('proxy start')}; sleep 1; ${mark('proxy started')}; touch /tmp/started; ${waitForTerm('proxy')}`),
            startupProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 30 },
          },
          { name: 'init-2', ...sh(mark('init-2 start')) },
        ],
        containers: [{ name: 'app', ...sh(`${mark('app start')}; ${waitForTerm('app', 0.5)}`) }],
      },
    });
    const pod = await waitForPod(client, 'default', 'ordered', 'is Ready', isReady);
    expect(state(pod, 'init-1')).toMatchObject({ ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(state(pod, 'proxy')).toMatchObject({ ready: true, started: true, state: { running: {} } });
    expect(state(pod, 'init-2')?.state?.terminated?.reason).toBe('Completed');
    expect(pod?.status?.phase).toBe('Running');

    const log = async (c: string) => node.logs('default', 'ordered', c);
    const [init1, proxy, init2] = [await log('init-1'), await log('proxy'), await log('init-2')];
    await waitUntil(async () => (await log('app')).includes('app start'), { what: 'the app to log its start', timeoutMs: 5_000 });
    expect(when(init1, 'init-1 end')).toBeLessThan(when(proxy, 'proxy start'));
    expect(when(proxy, 'proxy started')).toBeLessThan(when(init2, 'init-2 start'));
    expect(when(init2, 'init-2 start')).toBeLessThan(when(await log('app'), 'app start'));

    const netns = node.podNetns('default', 'ordered').netns;
    await client.delete(podPath('default', 'ordered'));
    await waitForPod(client, 'default', 'ordered', 'is gone', (p) => p === undefined);
    const app = await log('app');
    expect(when(app, 'app TERM')).toBeLessThan(when(app, 'app exit'));
    expect(when(app, 'app exit')).toBeLessThan(when(await log('proxy'), 'proxy TERM'));
    expect(await listNetns()).not.toContain(netns);
  });

  it('a Job-style pod completes: the app exits 0, its native sidecar is stopped, the pod Succeeded', async () => {
    const { client } = cluster();
    await createPod(client, {
      metadata: { name: 'job' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [{ name: 'sidecar', restartPolicy: 'Always', ...sh(waitForTerm('sidecar')) }],
        containers: [{ name: 'work', ...sh('echo working; sleep 0.5; echo done') }],
      },
    });
    const pod = await waitForPod(client, 'default', 'job', 'Succeeded', (p) => p?.status?.phase === 'Succeeded');
    expect(state(pod, 'work')?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(state(pod, 'sidecar')?.state?.terminated).toBeDefined();
    expect(pod?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('a container that ignores SIGTERM is killed when the grace period ends, then the pod is gone', async () => {
    const { client, node } = cluster();
    await createPod(client, { metadata: { name: 'stubborn' }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...sh(`trap '${mark('main TERM ignored')}' TERM; ${mark('main start')}; while true; do sleep 0.1; done`) }] } });
    await waitForPod(client, 'default', 'stubborn', 'is Ready', isReady);
    await waitUntil(async () => (await node.logs('default', 'stubborn', 'main')).includes('main start'), { what: 'the trap to be set', timeoutMs: 5_000 });
    await client.delete(podPath('default', 'stubborn'));
    expect((await getPod(client, 'default', 'stubborn'))?.metadata?.deletionTimestamp).toBeDefined();
    await waitForPod(client, 'default', 'stubborn', 'is gone', (p) => p === undefined);
    // SIGTERM arrived and was ignored, yet the pod is gone: SIGKILL ended it, and its namespace went with it.
    expect(await node.logs('default', 'stubborn', 'main')).toContain('main TERM ignored');
    expect((await listNetns()).some((n) => n.includes('default.stubborn'))).toBe(false);
  });

  it('a failing liveness probe restarts the container: restartCount, lastState and the previous log', async () => {
    const { client, node } = cluster();
    await createPod(client, {
      metadata: { name: 'lively' },
      spec: { containers: [{ name: 'main', ...sh(`${mark('instance start')}; touch /tmp/alive; ${waitForTerm('main')}`), livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 } }] },
    });
    await waitForPod(client, 'default', 'lively', 'is Ready', isReady);
    await waitUntil(async () => (await node.exec('default', 'lively', 'main', ['cat', '/tmp/alive'])).code === 0, { what: '/tmp/alive to exist', timeoutMs: 5_000 });
    expect((await node.exec('default', 'lively', 'main', ['rm', '/tmp/alive'])).code).toBe(0);
    const pod = await waitForPod(client, 'default', 'lively', 'restarted and ready again', (p) => (state(p, 'main')?.restartCount ?? 0) >= 1 && isReady(p));
    expect(state(pod, 'main')).toMatchObject({ restartCount: 1, lastState: { terminated: { reason: 'Completed', exitCode: 0 } } });
    expect(await node.logs('default', 'lively', 'main', { previous: true })).toContain('main TERM');
    await waitUntil(async () => (await node.logs('default', 'lively', 'main')).includes('instance start'), { what: 'the new instance to log', timeoutMs: 5_000 });
    // the new instance has a fresh writable layer: its /tmp/alive is its own
    expect((await node.exec('default', 'lively', 'main', ['cat', '/tmp/alive'])).code).toBe(0);
  });

  it('a crashing init container is restarted with back-off (CrashLoopBackOff) under restartPolicy Always, and fails the pod under Never', async () => {
    const { client } = cluster();
    const spec = (restartPolicy: 'Always' | 'Never') => ({ restartPolicy, initContainers: [{ name: 'setup', ...sh('echo cannot set up; exit 3') }], containers: [{ name: 'app', ...sh('sleep 100') }] });
    await createPod(client, { metadata: { name: 'crashy' }, spec: spec('Always') });
    await createPod(client, { metadata: { name: 'crashy-once' }, spec: spec('Never') });
    const looping = await waitForPod(client, 'default', 'crashy', 'in CrashLoopBackOff', (p) => state(p, 'setup')?.state?.waiting?.reason === 'CrashLoopBackOff');
    expect(state(looping, 'setup')).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 3, reason: 'Error' } } });
    expect(state(looping, 'setup')?.state?.waiting?.message).toMatch(/^back-off 10s restarting failed container=setup pod=crashy_default\(/);
    expect(looping?.status?.phase).toBe('Pending');
    expect(looping?.status?.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [setup]' });
    expect(state(looping, 'app')?.state?.waiting?.reason).toBe('PodInitializing');
    const failed = await waitForPod(client, 'default', 'crashy-once', 'Failed', (p) => p?.status?.phase === 'Failed');
    expect(state(failed, 'setup')?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it.each([
    ['an image the node does not have', { image: 'registry.example.com/team/app:1.0' }, /^(ErrImagePull|ImagePullBackOff)$/, /registry\.example\.com\/team\/app:1\.0.*not found/],
    ['a missing ConfigMap key in env', { ...sh('env'), env: [{ name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'absent-config', key: 'level' } } }] }, /^CreateContainerConfigError$/, /^configmap "absent-config" not found$/],
    ['runAsNonRoot with a root image', { ...sh('id'), securityContext: { runAsNonRoot: true } }, /^CreateContainerConfigError$/, /^container has runAsNonRoot and image will run as root \(pod: "bad-\d_default\(.*\)", container: main\)$/],
  ])('%s: the container waits with the reason a user would see', async (_name, container, reason, message) => {
    const { client } = cluster();
    const name = `bad-${['an image', 'a missing', 'runAsNonRoot'].findIndex((p) => _name.startsWith(p))}`;
    await createPod(client, { metadata: { name }, spec: { containers: [{ name: 'main', ...container }] } });
    const pod = await waitForPod(client, 'default', name, 'waits with a reason', (p) => reason.test(state(p, 'main')?.state?.waiting?.reason ?? ''));
    expect(state(pod, 'main')?.state?.waiting?.message).toMatch(message);
    expect(pod?.status?.phase).toBe('Pending');
  });

  it('an unknown image goes from ErrImagePull to ImagePullBackOff', async () => {
    const { client } = cluster();
    await createPod(client, { metadata: { name: 'nope' }, spec: { containers: [{ name: 'main', image: 'nope:1' }] } });
    const pod = await waitForPod(client, 'default', 'nope', 'in ImagePullBackOff', (p) => state(p, 'main')?.state?.waiting?.reason === 'ImagePullBackOff');
    expect(state(pod, 'main')?.state?.waiting?.message).toMatch(/^Back-off pulling image "nope:1": failed to pull and unpack image "docker.io\/library\/nope:1": not found/);
  });

  it('a program that is not in the image fails to start (StartError), and the pod keeps retrying', async () => {
    const { client } = cluster();
    await createPod(client, { metadata: { name: 'typo' }, spec: { containers: [{ name: 'main', image: BusyboxImage, command: ['slep', '100'] }] } });
    const pod = await waitForPod(client, 'default', 'typo', 'reports StartError', (p) => state(p, 'main')?.lastState?.terminated?.reason === 'StartError' || state(p, 'main')?.state?.terminated?.reason === 'StartError');
    const terminated = state(pod, 'main')?.lastState?.terminated ?? state(pod, 'main')?.state?.terminated;
    expect(terminated).toMatchObject({ exitCode: 128, message: 'exec: "slep": executable file not found in $PATH' });
  });

  it('a pod waits in ContainerCreating until the ConfigMap its volume needs exists, then runs', async () => {
    const { client, node } = cluster();
    await createPod(client, {
      metadata: { name: 'needs-config' },
      spec: { volumes: [{ name: 'cfg', configMap: { name: 'late-config' } }], containers: [{ name: 'main', ...sh('cat /etc/app/greeting; sleep 100'), volumeMounts: [{ name: 'cfg', mountPath: '/etc/app' }] }] },
    });
    const waiting = await waitForPod(client, 'default', 'needs-config', 'waits for its volume', (p) => !!p?.status?.podIP && state(p, 'main')?.state?.waiting?.reason === 'ContainerCreating');
    expect(waiting?.status?.phase).toBe('Pending');
    await waitUntil(async () => {
      const events = await client.get<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>('/api/v1/namespaces/default/events');
      return events.items.some((e) => e.involvedObject.name === 'needs-config' && e.reason === 'FailedMount' && e.message.includes('configmap "late-config" not found'));
    }, { what: 'a FailedMount event', timeoutMs: 10_000 });
    await client.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-config', namespace: 'default' }, data: { greeting: 'hello at last' } });
    await waitForPod(client, 'default', 'needs-config', 'is Ready', isReady);
    await waitUntil(async () => (await node.logs('default', 'needs-config', 'main')).includes('hello at last'), { what: 'the greeting in the log', timeoutMs: 5_000 });
  });

  it('deleting a pod that does not exist is the API server\'s 404, the node is not involved', async () => {
    const { client } = cluster();
    await expect(client.delete(podPath('default', 'never-existed'))).rejects.toBeInstanceOf(ApiError);
  });
}, tools);
