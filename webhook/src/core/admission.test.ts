import { admitPod, parseAdmissionReview, planReview } from './admission';
import { defaultInjectionConfig, parseInjectionConfig } from './config';
import { type Pod } from './types';

const config = parseInjectionConfig({ image: 'skein:test', clusterVersion: '1.30' }, defaultInjectionConfig('0.0.0-test'));
const podKind = { group: '', version: 'v1', kind: 'Pod' };
const pod: Pod = { metadata: { name: 'a' }, spec: { containers: [{ name: 'app' }] } };
const review = (request: unknown) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });

describe('parseAdmissionReview', () => {
  it.each([
    ['not an object', 'hello', /expected a JSON AdmissionReview object/],
    ['an array', [], /expected a JSON AdmissionReview object/],
    ['v1beta1', { ...review({}), apiVersion: 'admission.k8s.io/v1beta1' }, /apiVersion must be admission.k8s.io\/v1, got "admission.k8s.io\/v1beta1"/],
    ['wrong kind', { ...review({}), kind: 'Pod' }, /kind must be AdmissionReview, got "Pod"/],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /has no request/],
    ['no uid', review({ kind: podKind, operation: 'CREATE' }), /request.uid/],
    ['no operation', review({ uid: 'u', kind: podKind }), /request.operation/],
    ['no kind', review({ uid: 'u', operation: 'CREATE' }), /request.kind/],
  ])('%s → refused with a message', (_name, body, message) => {
    const parsed = parseAdmissionReview(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe('planReview', () => {
  const base = { uid: 'u', kind: podKind, operation: 'CREATE', namespace: 'shop', object: pod };
  it.each([
    ['a Deployment', { ...base, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }, 'allow'],
    ['a pod subresource', { ...base, subResource: 'ephemeralcontainers' }, 'allow'],
    ['UPDATE', { ...base, operation: 'UPDATE' }, 'allow'],
    ['DELETE', { ...base, operation: 'DELETE', object: undefined }, 'allow'],
    ['a pod without spec', { ...base, object: { metadata: {} } }, 'refuse'],
    ['a pod without namespace', { ...base, namespace: undefined }, 'refuse'],
    ['a pod with a null container', { ...base, object: { spec: { containers: [null] } } }, 'refuse'],
    ['a pod with an unnamed init container', { ...base, object: { spec: { containers: [{ name: 'a' }], initContainers: [{ image: 'x' }] } } }, 'refuse'],
    ['a pod CREATE', base, 'pod'],
  ])('%s → %s', (_name, request, action) => expect(planReview(request).action).toBe(action));

  it('takes the namespace from the object when the request has none', () => {
    const plan = planReview({ ...base, namespace: '', object: { ...pod, metadata: { namespace: 'other' } } });
    expect(plan).toMatchObject({ action: 'pod', namespace: 'other' });
  });
});

describe('admitPod', () => {
  const ns = { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } };

  it('injects with a base64 JSONPatch that matches the patch', () => {
    const result = admitPod('u1', pod, ns, config);
    expect(result.outcome).toBe('injected');
    expect(result.response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(result.response.patch!, 'base64').toString())).toEqual(result.patch);
  });

  it.each([
    ['a bad capture annotation', { 'traffic.skein.dev/excludeOutboundPorts': 'db' }, /skein: annotation traffic.skein.dev\/excludeOutboundPorts: "db" is not a port/],
    ['a bad resource annotation', { 'sidecar.skein.dev/proxyCPU': 'fast' }, /skein: annotation sidecar.skein.dev\/proxyCPU: "fast" is not a Kubernetes quantity/],
    ['a bad sidecar-kind annotation', { 'sidecar.skein.dev/nativeSidecar': 'yes' }, /skein: annotation sidecar.skein.dev\/nativeSidecar: "yes" must be "true" or "false"/],
  ])('%s refuses the pod (allowed=false, 400) instead of ignoring it', (_name, annotations, message) => {
    const result = admitPod('u2', { ...pod, metadata: { annotations } }, ns, config);
    expect(result.outcome).toBe('refused');
    expect(result.response.allowed).toBe(false);
    expect(result.response.status?.code).toBe(400);
    expect(result.response.status?.message).toMatch(message);
  });

  it('refuses a probe on an undeclared named port', () => {
    const p: Pod = { spec: { containers: [{ name: 'app', readinessProbe: { httpGet: { port: 'http' } } }] } };
    expect(admitPod('u3', p, ns, config).response.status?.message).toMatch(/container app readinessProbe: named port "http" is not declared/);
  });

  it('refuses a pod that already has a container named like ours but no status', () => {
    const p: Pod = { spec: { containers: [{ name: 'app' }, { name: 'skein-proxy' }] } };
    expect(admitPod('u4', p, ns, config).response.status?.message).toMatch(/already has a container named skein-proxy/);
  });

  it('an unexpected render failure refuses the pod (500) instead of throwing', () => {
    const p = { spec: { containers: [{ name: 'app' }], volumes: 'not-a-list' } } as unknown as Pod;
    const result = admitPod('u6', p, ns, config);
    expect(result.outcome).toBe('refused');
    expect(result.response).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(result.response.status?.message).toMatch(/^skein: sidecar injection failed: /);
  });

  it('does not modify the pod it was given', () => {
    const p = structuredClone(pod);
    admitPod('u5', p, ns, config);
    expect(p).toEqual(pod);
  });
});
