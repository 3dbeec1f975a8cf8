import { type PodModel } from './model';
import { parseNodeId } from './node-id';
import { authorizeNode, ProxyAuthError, type StreamCaller } from './proxy-identity';

const pod = (name: string, serviceAccount: string, ips: string[]): [string, PodModel] => [`default/${name}`, { name, namespace: 'default', labels: {}, serviceAccount, ips, meshed: true }];
const model = { pods: new Map([pod('reviews-v1', 'reviews', ['10.0.0.1']), pod('fresh', 'reviews', [])]) };
const workload = (namespace: string, serviceAccount: string): StreamCaller => ({ kind: 'workload', id: { trustDomain: 'cluster.local', namespace, serviceAccount } });
const node = (ip: string, podName: string, ns = 'default') => parseNodeId(`sidecar~${ip}~${podName}.${ns}~${ns}.svc.cluster.local`);
const local = { localPorts: true };
const kube = { localPorts: false };

describe('authorizeNode', () => {
  it.each([
    ['the pod itself', node('10.0.0.1', 'reviews-v1'), {}, workload('default', 'reviews')],
    ['a pod the control plane does not know yet (namespace and service account match)', node('10.0.0.7', 'reviews-v9'), { SERVICE_ACCOUNT: 'reviews' }, workload('default', 'reviews')],
    ['a known pod without an IP yet', node('10.0.0.8', 'fresh'), {}, workload('default', 'reviews')],
  ])('allows %s; the service account is the certificate\'s', (_what, n, metadata, caller) => {
    const out = authorizeNode(n, metadata, caller, model, local);
    expect(out).toEqual({ metadata: { ...metadata, SERVICE_ACCOUNT: 'reviews' }, identity: 'spiffe://cluster.local/ns/default/sa/reviews', warnings: [] });
  });

  it.each([
    ['another namespace', node('10.0.0.1', 'reviews-v1'), {}, workload('shop', 'reviews'), /the node id's namespace is default, the certificate's shop/],
    ['another service account than the pod runs as', node('10.0.0.1', 'reviews-v1'), {}, workload('default', 'mallory'), /pod default\/reviews-v1 runs as service account reviews/],
    ['a claimed SERVICE_ACCOUNT that is not the certificate\'s', node('10.0.9.9', 'mallory-1'), { SERVICE_ACCOUNT: 'reviews' }, workload('default', 'mallory'), /metadata SERVICE_ACCOUNT is "reviews", the certificate's service account mallory/],
    ['a non-string SERVICE_ACCOUNT', node('10.0.9.9', 'mallory-1'), { SERVICE_ACCOUNT: ['mallory'] }, workload('default', 'mallory'), /metadata SERVICE_ACCOUNT is \["mallory"\]/],
    ['the pod\'s name with another IP', node('10.0.9.9', 'reviews-v1'), {}, workload('default', 'reviews'), /has IP 10\.0\.0\.1, not 10\.0\.9\.9/],
    ['GENERATOR: grpc', node('10.0.0.1', 'reviews-v1'), { GENERATOR: 'grpc' }, workload('default', 'reviews'), /GENERATOR=grpc is not served on the mTLS port/],
  ])('refuses %s (PERMISSION_DENIED)', (_what, n, metadata, caller, message) => {
    let err: unknown;
    try {
      authorizeNode(n, metadata, caller, model, local);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProxyAuthError);
    expect(err).toMatchObject({ code: 'permission-denied' });
    expect((err as Error).message).toMatch(/^node sidecar~.* refused for spiffe:\/\/cluster\.local\/ns\/\w+\/sa\/\w+: /);
    expect((err as Error).message).toMatch(message);
  });

  it('explicit ports: honoured in local mode, ignored with a warning on Kubernetes', () => {
    const metadata = { SKEIN_INBOUND_PORTS: '15106=9080', SKEIN_OUTBOUND_PORTS: '15101=reviews:9080', LABELS: { app: 'reviews' } };
    expect(authorizeNode(node('10.0.0.1', 'reviews-v1'), metadata, workload('default', 'reviews'), model, local).metadata).toMatchObject(metadata);
    const kubeMode = authorizeNode(node('10.0.0.1', 'reviews-v1'), metadata, workload('default', 'reviews'), model, kube);
    expect(kubeMode.metadata).toEqual({ LABELS: { app: 'reviews' }, SERVICE_ACCOUNT: 'reviews' });
    expect(kubeMode.warnings).toEqual([
      'node metadata SKEIN_INBOUND_PORTS ignored: explicit ports are honoured only in local mode (pods on Kubernetes are captured by iptables)',
      'node metadata SKEIN_OUTBOUND_PORTS ignored: explicit ports are honoured only in local mode (pods on Kubernetes are captured by iptables)',
    ]);
  });

  it('the loopback plaintext port proves nothing and is trusted like the host: metadata as sent, GENERATOR included', () => {
    const metadata = { GENERATOR: 'grpc', SKEIN_INBOUND_PORTS: '15106=9080' };
    expect(authorizeNode(node('10.0.0.1', 'reviews-v1'), metadata, { kind: 'local' }, model, kube)).toEqual({ metadata, warnings: [] });
  });
});
