import { podReady } from '../controllers/pods';
import { type KubeObject, type SimulatedApiServer, startSimulatedApiServer } from './index';
import { raw } from './testing';

jest.setTimeout(60_000);

const deployment = (name: string, replicas: number, image = 'web:1') => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
  spec: {
    replicas, selector: { matchLabels: { app: name } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] }] } },
  },
});

describe('the simulated kube-controller-manager', () => {
  let api: SimulatedApiServer;
  const ns = 'apps';
  const pods = (app: string) => api.store.list('pods', ns).filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
  /** The node's part: the pod runs, has an IP and is Ready (or not). */
  let ip = 10;
  const setReady = (p: KubeObject, ready: boolean) => raw(api, 'PATCH', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}/status`, {
    status: { phase: 'Running', podIP: (p.status as { podIP?: string } | undefined)?.podIP ?? `10.244.1.${ip++}`, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }, { contentType: 'application/strategic-merge-patch+json' });

  beforeAll(async () => {
    api = await startSimulatedApiServer();
    await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.settled();
  });
  afterAll(() => api.stop());

  it('turns a Deployment into a ReplicaSet into pods, scales them, and reports rollout status', async () => {
    const created = await raw(api, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('web', 2));
    expect(created.status).toBe(201);
    await api.settled();
    const [rs] = api.store.list('apps/replicasets', ns);
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created.json.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rs!.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    const webPods = pods('web');
    expect(webPods).toHaveLength(2);
    for (const p of webPods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
      expect(p.metadata.ownerReferences![0]).toMatchObject({ kind: 'ReplicaSet', name: rs!.metadata.name, controller: true });
    }
    for (const p of webPods) await setReady(p, true);
    await api.settled();
    const status = (await raw(api, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).json.status;
    expect(status).toMatchObject({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(status.conditions.find((c: { type: string }) => c.type === 'Available').status).toBe('True');

    const scaled = await raw(api, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`, { spec: { replicas: 3 } }, { contentType: 'application/merge-patch+json' });
    expect(scaled.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 } });
    await api.settled();
    expect(pods('web')).toHaveLength(3);
    await raw(api, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web`, { spec: { replicas: 1 } }, { contentType: 'application/merge-patch+json' });
    await api.settled();
    expect(pods('web')).toHaveLength(1);
  });

  it('rolls a template change out through a new ReplicaSet as new pods become available', async () => {
    await raw(api, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web`, { spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } }, { contentType: 'application/strategic-merge-patch+json' });
    for (let round = 0; round < 10; round++) {
      await api.settled();
      for (const p of pods('web')) if (!podReady(p)) await setReady(p, true);
      await api.settled();
      const s = (await raw(api, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).json.status;
      if (s.updatedReplicas === 2 && s.replicas === 2 && s.availableReplicas === 2) break;
    }
    const images = pods('web').map((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image);
    expect(images).toEqual(['web:2', 'web:2']);
    const sets = api.store.list('apps/replicasets', ns).map((rs) => `${rs.metadata.annotations!['deployment.kubernetes.io/revision']}:${(rs.spec as { replicas: number }).replicas}`).sort();
    expect(sets).toEqual(['1:0', '2:2']);
  });

  it('keeps EndpointSlices following pod readiness, termination and deletion', async () => {
    const svc = await raw(api, 'POST', `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    expect(svc.json.spec).toMatchObject({ type: 'ClusterIP', clusterIP: expect.stringMatching(/^10\.96\./), clusterIPs: [svc.json.spec.clusterIP], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }] });
    await api.settled();
    const slice = () => api.store.list('discovery.k8s.io/endpointslices', ns).find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web')!;
    const [a, b] = pods('web');
    expect(slice().metadata.labels).toMatchObject({ 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice().metadata.ownerReferences![0]).toMatchObject({ kind: 'Service', name: 'web' });
    expect(slice().ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080 }]);
    const ready = () => Object.fromEntries((slice().endpoints as { targetRef: { name: string }; conditions: { ready: boolean; terminating: boolean } }[]).map((e) => [e.targetRef.name, `${e.conditions.ready}/${e.conditions.terminating}`]));
    expect(ready()).toEqual({ [a!.metadata.name!]: 'true/false', [b!.metadata.name!]: 'true/false' });
    await setReady(a!, false);
    await api.settled();
    expect(ready()[a!.metadata.name!]).toBe('false/false');
    // With a node the pods run somewhere: a delete is graceful, the endpoint is terminating until the kubelet confirms.
    const token = api.nodeToken('node-1');
    await raw(api, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } }, { token });
    await raw(api, 'PATCH', '/api/v1/nodes/node-1/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { token, contentType: 'application/strategic-merge-patch+json' });
    await api.settled();
    expect((api.store.get('pods', ns, b!.metadata.name!)!.spec as { nodeName?: string }).nodeName).toBe('node-1');
    await raw(api, 'DELETE', `/api/v1/namespaces/${ns}/pods/${b!.metadata.name}`);
    await api.settled();
    expect(ready()[b!.metadata.name!]).toBe('false/true');
    expect((slice().endpoints as { targetRef: { name: string }; conditions: { serving: boolean } }[]).find((e) => e.targetRef.name === b!.metadata.name)!.conditions.serving).toBe(true);
    await raw(api, 'DELETE', `/api/v1/namespaces/${ns}/pods/${b!.metadata.name}`, { gracePeriodSeconds: 0 }, { token });
    await api.settled();
    expect(Object.keys(ready())).not.toContain(b!.metadata.name);
  });

  it('deletes dependents in the background, waits for them in the foreground, leaves them with orphan', async () => {
    await raw(api, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('bg', 2));
    await raw(api, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('fg', 1));
    await raw(api, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('orphan', 1));
    await api.settled();
    await raw(api, 'DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/bg`);
    await api.settled();
    expect(api.store.list('apps/replicasets', ns).filter((rs) => rs.metadata.name!.startsWith('bg-'))).toEqual([]);
    expect(pods('bg')).toEqual([]);

    const fg = await raw(api, 'DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/fg`, { propagationPolicy: 'Foreground' });
    expect(fg.json.metadata.finalizers).toEqual(['foregroundDeletion']);
    await api.settled();
    // The pod runs on node-1: the Deployment waits until the kubelet has stopped it.
    expect(api.store.get('apps/deployments', ns, 'fg')).toBeDefined();
    for (const p of api.store.list('pods', ns).filter((x) => x.metadata.deletionTimestamp)) {
      await raw(api, 'DELETE', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`, { gracePeriodSeconds: 0 }, { token: api.nodeToken('node-1') });
    }
    await api.settled();
    expect(api.store.get('apps/deployments', ns, 'fg')).toBeUndefined();
    expect(pods('fg')).toEqual([]);

    await raw(api, 'DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/orphan?propagationPolicy=Orphan`);
    await api.settled();
    const left = api.store.list('apps/replicasets', ns).filter((rs) => rs.metadata.name!.startsWith('orphan-'));
    expect(left).toHaveLength(1);
    expect(left[0]!.metadata.ownerReferences).toBeUndefined();
    expect(pods('orphan')).toHaveLength(1);
  });

  it('runs a Job\'s pod to completion, counting it through the job-tracking finalizer', async () => {
    const job = await raw(api, 'POST', `/apis/batch/v1/namespaces/${ns}/jobs`, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'task:1' }] } } } });
    expect(job.json.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': job.json.metadata.uid } } });
    await api.settled();
    const [p] = api.store.list('pods', ns).filter((x) => x.metadata.labels?.['job-name'] === 'once');
    expect(p!.metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    expect(p!.metadata.labels).toMatchObject({ 'batch.kubernetes.io/job-name': 'once', 'controller-uid': job.json.metadata.uid });
    await raw(api, 'PATCH', `/api/v1/namespaces/${ns}/pods/${p!.metadata.name}/status`, { status: { phase: 'Succeeded' } }, { contentType: 'application/merge-patch+json' });
    await api.settled();
    const done = (await raw(api, 'GET', `/apis/batch/v1/namespaces/${ns}/jobs/once`)).json.status;
    expect(done).toMatchObject({ succeeded: 1, completionTime: expect.any(String) });
    expect((done.conditions as { type: string }[]).map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(api.store.get('pods', ns, p!.metadata.name!)!.metadata.finalizers).toBeUndefined();
  });
});
