/**
 * The operator's verbs when things are wrong, as a user meets it (the built CLI, a kubeconfig file,
 * the simulated kube-apiserver or its lenient double): an API server that is not there or refuses the credentials, no kubeconfig, a
 * cluster without Skein's CRDs, a control plane that never becomes ready, missing permissions, and
 * usage mistakes. Each: one clear sentence, the right exit status, no stack trace.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FakeApiServer } from '../../operator/src/kube/testing/fake-apiserver';
import { type SimCluster, skein, startCluster, writeKubeconfig } from './testing/cluster-sim';

jest.setTimeout(120_000);

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-verbs-fail-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('an API server that cannot be reached', () => {
  let kubeconfig: string;
  let server: string;
  beforeAll(async () => {
    server = `http://127.0.0.1:${await closedPort()}`;
    kubeconfig = writeKubeconfig(dir, server);
  });

  const unreachable = () => `cannot reach the Kubernetes API at ${server}: connection refused (is the cluster running, and is this the right kubeconfig/context?)`;

  it.each([
    [['install'], 'install'],
    [['uninstall'], 'uninstall'],
    [['proxy-status'], 'proxy-status'],
    [['proxy-config', 'cluster', 'web-1.shop'], 'proxy-config'],
    [['analyze'], 'analyze'],
  ])('skein %j: one sentence, exit 1', async (args, verb) => {
    const r = await skein([...args, '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    if (verb === 'proxy-status' || verb === 'proxy-config' || verb === 'analyze') expect(r.out).toBe('');
    expect(r.err).toBe(`skein ${verb}: ${unreachable()}\n`);
  });

  it('check: × on the first check with a hint, the rest skipped, exit 1', async () => {
    const r = await skein(['check', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`× Kubernetes API reachable: ${unreachable()}\n    hint: check the kubeconfig (${kubeconfig}) and that the cluster is up: kubectl version\n`);
    expect(r.out).toMatch(/× remaining checks: skipped: the Kubernetes API cannot be reached/);
    expect(r.err).toBe('');
  });

  it('version: still prints its own version, and why the control plane was not asked (exit 0)', async () => {
    const r = await skein(['version', '--kubeconfig', kubeconfig]);
    expect(r).toMatchObject({ code: 0, out: `client: skein 0.1.0\ncontrol plane: not asked: ${unreachable()}\n` });
  });

  it('inject: carries on with classic sidecars and says why', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: shop, labels: { skein.dev/inject: "true" } }\nspec: { containers: [{ name: app, image: app }] }\n';
    const r = await skein(['inject', '-f', '-', '--kubeconfig', kubeconfig], { input: pod });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^cannot ask the cluster for its version \(kubeconfig .*: cannot reach the Kubernetes API at .*: connection refused .*\): classic sidecars; pass --cluster-version or --native-sidecars on\|off\n$/);
    expect(r.out).toMatch(/name: skein-proxy/);
  });
});

describe('credentials and kubeconfig', () => {
  let api: FakeApiServer;
  let url: string;
  beforeAll(async () => {
    api = new FakeApiServer();
    url = await api.start();
  });
  afterAll(() => api.close());

  it('a token the API server refuses: 401, said as such', async () => {
    const r = await skein(['proxy-status', '--kubeconfig', writeKubeconfig(dir, url, { token: 'wrong-token' })]);
    expect(r).toMatchObject({ code: 1, err: `skein proxy-status: the Kubernetes API at ${url} refused the credentials (401 Unauthorized): check the kubeconfig's user\n` });
  });

  it('no kubeconfig anywhere: said, exit 1', async () => {
    const env = { KUBECONFIG: path.join(dir, 'none'), HOME: dir, KUBERNETES_SERVICE_HOST: '' };
    const r = await skein(['check'], { env });
    expect(r).toMatchObject({ code: 1, err: 'skein check: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config\n' });
    const v = await skein(['version'], { env });
    expect(v).toMatchObject({ code: 0, out: 'client: skein 0.1.0\ncontrol plane: not asked: no kubeconfig: pass --kubeconfig, or --monitoring-url for a local control plane\n' });
  });

  it('an unknown context: said with the ones there are', async () => {
    const r = await skein(['check', '--kubeconfig', writeKubeconfig(dir, url), '--context', 'prod']);
    expect(r).toMatchObject({ code: 1, err: expect.stringMatching(/^skein check: context "prod" is not in .* \(contexts: sim\)\n$/) });
  });
});

describe('a cluster without Skein', () => {
  let cluster: SimCluster;
  let kubeconfig: string;
  beforeAll(async () => {
    cluster = await startCluster(dir);
    kubeconfig = cluster.kubeconfig;
  });
  afterAll(() => cluster.stop());

  it('check: CRDs missing, no control plane, no webhook: each ×, with what to do; exit 1', async () => {
    const r = await skein(['check', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('✓ Kubernetes API reachable');
    expect(r.out).toContain('× CRDs established: 0/4 established; missing: virtualservices.networking.skein.dev, destinationrules.networking.skein.dev, peerauthentications.security.skein.dev, authorizationpolicies.security.skein.dev\n    hint: run `skein install`');
    expect(r.out).toContain('× control plane ready: Deployment not found');
    expect(r.out).toContain('× webhook registered with a caBundle: MutatingWebhookConfiguration not found');
    expect(r.out).toMatch(/× proxies connected and in sync: no ready control plane pod in skein-system \(0 found; is Skein installed\?\)/);
    expect(r.out).toMatch(/\n× some checks failed \(hints above\)\n$/);
  });

  it('proxy-status: no control plane to ask, exit 1', async () => {
    const r = await skein(['proxy-status', '--kubeconfig', kubeconfig]);
    expect(r).toMatchObject({ code: 1, out: 'no proxies connected\n', err: 'skein proxy-status: no ready control plane pod in skein-system (0 found; is Skein installed?)\n' });
  });

  it('install: a control plane that never becomes available times out naming the step (exit 1)', async () => {
    const r = await skein(['install', '--timeout', '3s', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('  ✓ CRDs established (4/4 established)');
    expect(r.out).toContain('  … Deployment skein-system/skein-controlplane available: 0/2 replicas available');
    expect(r.err).toMatch(/^skein install: timed out after 3s waiting for: Deployment skein-system\/skein-controlplane available \(0\/2 replicas available.*\); see `skein check`\n$/);
  });

  it('check --pre: missing permissions are listed (exit 1), as RBAC answers the access reviews', async () => {
    // A user who may do everything the install does except write ClusterRoles and webhook configurations.
    const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1' };
    await cluster.api.client.create({ ...rbac, plural: 'clusterroles' }, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'almost-admin' },
      rules: [
        { apiGroups: ['*'], resources: ['namespaces', 'serviceaccounts', 'services', 'configmaps', 'secrets', 'deployments', 'daemonsets', 'poddisruptionbudgets', 'roles', 'rolebindings', 'clusterrolebindings', 'customresourcedefinitions'], verbs: ['*'] },
        { apiGroups: ['*'], resources: ['clusterroles', 'mutatingwebhookconfigurations'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    await cluster.api.client.create({ ...rbac, plural: 'clusterrolebindings' }, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'almost-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'almost-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'installer' }],
    });
    cluster.api.addToken('installer-token', { username: 'installer', groups: ['system:authenticated'] });
    const r = await skein(['check', '--pre', '--kubeconfig', writeKubeconfig(dir, cluster.api.url, { token: 'installer-token', caPem: cluster.api.caPem })]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('× permissions to install: not allowed to create clusterroles.rbac.authorization.k8s.io, patch clusterroles.rbac.authorization.k8s.io, create mutatingwebhookconfigurations.admissionregistration.k8s.io, patch mutatingwebhookconfigurations.admissionregistration.k8s.io\n    hint: install as a cluster administrator');
  });
});

describe('usage mistakes: exit 2 with the usage', () => {
  it.each([
    [['proxy-config', 'web-1'], /unknown TYPE "web-1": one of cluster, listener, route, endpoint, secret/],
    [['proxy-config', 'cluster'], /POD is required \(or --admin-url URL for a local proxy\)/],
    [['proxy-config', 'cluster', 'a', 'b'], /unexpected arguments: b/],
    [['proxy-config', 'cluster', 'web-1', '-o', 'xml'], /-o must be table, json or yaml, got "xml"/],
    [['proxy-config', 'cluster', 'web-1', '--admin-url', 'http://127.0.0.1:1'], /--admin-url \(local mode\) takes no POD/],
    [['proxy-config', 'cluster', '--admin-url', 'localhost:15000'], /--admin-url must be an http:\/\/ URL/],
    [['proxy-config', '--config-dir', '.'], /--node is required with --config-dir/],
    [['proxy-config', 'cluster', 'web-1', '--node', 'x'], /--node, --metadata and --type belong to the offline mode/],
    [['proxy-status', '-o', 'yaml'], /-o must be table or json/],
    [['proxy-status', '--monitoring-url', 'http://x', '--kubeconfig', 'k'], /exclude each other/],
    [['install', '--timeout', 'soon'], /--timeout: invalid duration "soon"/],
    [['install', '-f', '/nonexistent/values.yaml'], /-f \/nonexistent\/values\.yaml: ENOENT/],
    [['check', 'extra'], /Unexpected argument 'extra'/],
    [['version', '-o', 'yaml'], /-o must be text or json/],
  ])('skein %j', async (args, message) => {
    const r = await skein(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/\n\nUsage: skein /);
  });
});
