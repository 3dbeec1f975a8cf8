import { type ApiObject } from './informer';
import { caFromSecret } from './ca-secret';
import { projectForIndex, slimPod } from './kube-source';
import { meshedNamespaces } from './root-cert-publisher';
import { desiredStatus, statusUpToDate } from './status-writer';
import { caBundlePatch } from './webhook-ca-bundle';

const obj = (kind: string, meta: Partial<ApiObject['metadata']>, rest: Record<string, unknown> = {}): ApiObject => ({
  apiVersion: kind === 'VirtualService' ? 'networking.skein.dev/v1alpha1' : 'v1', kind, metadata: { name: 'x', ...meta }, ...rest,
});

describe('meshedNamespaces', () => {
  it('takes labelled namespaces and namespaces with injected pods, nothing else', () => {
    const namespaces = [obj('Namespace', { name: 'a', labels: { 'skein.dev/inject': 'enabled' } }), obj('Namespace', { name: 'b', labels: { 'skein.dev/inject': 'disabled' } }), obj('Namespace', { name: 'c' })];
    const pods = [obj('Pod', { name: 'p', namespace: 'c', annotations: { 'skein.dev/status': '{}' } }), obj('Pod', { name: 'q', namespace: 'b' })];
    expect([...meshedNamespaces(namespaces, pods)].sort()).toEqual(['a', 'c']);
  });
});

describe('caBundlePatch', () => {
  it('patches only webhooks whose caBundle differs, each guarded by a test of its name', () => {
    const config = { webhooks: [{ name: 'ok', clientConfig: { caBundle: 'B' } }, { name: 'stale', clientConfig: { caBundle: 'A' } }, { name: 'none', clientConfig: {} }] };
    expect(caBundlePatch(config, 'B')).toEqual([
      { op: 'test', path: '/webhooks/1/name', value: 'stale' }, { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: 'B' },
      { op: 'test', path: '/webhooks/2/name', value: 'none' }, { op: 'add', path: '/webhooks/2/clientConfig/caBundle', value: 'B' },
    ]);
    expect(caBundlePatch({ webhooks: [{ name: 'ok', clientConfig: { caBundle: 'B' } }] }, 'B')).toEqual([]);
  });
});

describe('status conditions', () => {
  const vs = (weight: number, status?: unknown, generation = 3) => obj('VirtualService', { namespace: 'shop', generation }, {
    spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r' }, weight }] }] }, ...(status ? { status } : {}),
  });
  const now = new Date('2026-11-21T10:00:00Z');

  it('Accepted=True with observedGeneration for a valid object', () => {
    expect(desiredStatus(vs(100), now)).toEqual({
      observedGeneration: 3,
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Accepted by Skein', lastTransitionTime: now.toISOString(), observedGeneration: 3 }],
    });
  });

  it('Accepted=False naming the field for an invalid one', () => {
    const c = desiredStatus(vs(150), now).conditions![0]!;
    expect(c).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(c.message).toMatch(/spec\.http\[0\]\.route\[0\]\.weight/);
  });

  it('is up to date when only the timestamp would change; keeps lastTransitionTime while the status holds', () => {
    const earlier = desiredStatus(vs(100), new Date('2026-01-01T00:00:00Z'));
    const again = desiredStatus(vs(100, earlier), now);
    expect(again.conditions![0]!.lastTransitionTime).toBe('2026-01-01T00:00:00.000Z');
    expect(statusUpToDate(vs(100, earlier), again)).toBe(true);
    expect(statusUpToDate(vs(100, earlier, 4), desiredStatus(vs(100, earlier, 4), now))).toBe(false); // new generation
    expect(statusUpToDate(vs(150, earlier), desiredStatus(vs(150, earlier), now))).toBe(false); // now invalid
    expect(statusUpToDate(vs(100), desiredStatus(vs(100), now))).toBe(false); // no status yet
  });
});

describe('projectForIndex', () => {
  it('keeps what the model reads and drops status churn and server bookkeeping', () => {
    const pod = obj('Pod', { name: 'p', namespace: 'n', resourceVersion: '7', uid: 'u', labels: { app: 'a' } }, {
      spec: { serviceAccountName: 'sa', containers: [{ name: 'c' }] }, status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready' }] },
    });
    expect(projectForIndex(pod)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { app: 'a' } }, spec: { serviceAccountName: 'sa' }, status: { podIP: '10.0.0.1' } });
    expect(projectForIndex(obj('VirtualService', { namespace: 'n' }, { spec: { hosts: ['h'] }, status: { conditions: [] } }))).not.toHaveProperty('status');
  });
});

describe('slimPod', () => {
  it('keeps metadata and the fields Skein reads; drops containers and conditions', () => {
    const pod = obj('Pod', { name: 'p', namespace: 'n', uid: 'u', annotations: { 'skein.dev/status': '{}' } }, {
      spec: { serviceAccountName: 'sa', nodeName: 'node-1', containers: [{ name: 'c', image: 'i' }], volumes: [] },
      status: { podIP: '10.0.0.1', phase: 'Running', conditions: [{ type: 'Ready' }], containerStatuses: [] },
    });
    expect(slimPod(pod)).toEqual({
      apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata,
      spec: { serviceAccountName: 'sa', nodeName: 'node-1' }, status: { podIP: '10.0.0.1', phase: 'Running' },
    });
  });
});

describe('caFromSecret', () => {
  const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: 'skein-system' }, data });
  it('names the Secret and the missing key', async () => {
    await expect(caFromSecret(secret({}), 'cluster.local', new Date())).rejects.toThrow(/Secret skein-system\/cacerts: key ca-cert\.pem is missing/);
  });
  it('refuses PEM that is not a CA, naming the Secret', async () => {
    const junk = Buffer.from('not a pem').toString('base64');
    await expect(caFromSecret(secret({ 'ca-cert.pem': junk, 'ca-key.pem': junk, 'root-cert.pem': junk }), 'cluster.local', new Date())).rejects.toThrow(/Secret skein-system\/cacerts: invalid CA/);
  });
});
