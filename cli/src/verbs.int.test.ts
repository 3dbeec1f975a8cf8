/**
 * The operator's verbs on a cluster, as a user runs them: the built CLI with a kubeconfig file, the
 * simulated kube-apiserver behind it (HTTPS, RBAC, CRDs, admission webhooks, namespace deletion), a
 * real `skein controlplane kube` as its service account (started when install applies its
 * Deployment, as the kubelet would), a pod the real webhook injects, and a real `skein proxy`
 * authenticated by its pod-bound token. One journey: check --pre → install (dry run, then for real,
 * then again) → check → proxy-status → proxy-config → version → analyze → inject → uninstall →
 * uninstall --purge.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { installObjects, installYaml } from '../../manifests/src/install';
import { resolveValues, setLayer } from '../../manifests/src/values';
import { resourceTypeOf } from '../../operator/src/kube/install';
import { waitFor } from '../../operator/src/kube/testing/wait-for';
import { freePort } from './demo/processes';
import { type ControlPlaneProcess, createPod, markRunning, podToken, ref, type SimCluster, simulateControlPlaneRollout, skein, skeinMain, startCluster } from './testing/cluster-sim';

jest.setTimeout(180_000); // key generation, a control plane and a proxy on a loaded 2-core machine

const crds = ['authorizationpolicies.security.skein.dev', 'destinationrules.networking.skein.dev', 'peerauthentications.security.skein.dev', 'virtualservices.networking.skein.dev'];

/** Where the simulated API server keeps an object (`apps/deployments`, `namespaces` …). */
function stored(cluster: SimCluster, obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) {
  const type = resourceTypeOf(obj);
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0]! : '';
  return cluster.api.store.get(group ? `${group}/${type.plural}` : type.plural, type.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
}

describe('skein install | check | proxy-status | proxy-config | version | analyze | inject | uninstall on a (simulated) cluster', () => {
  let dir: string;
  let cluster: SimCluster;
  let kubeconfig: string;
  let rollout: ReturnType<typeof simulateControlPlaneRollout>;
  let controlPlane: ControlPlaneProcess;
  let proxy: ChildProcess | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-verbs-'));
    cluster = await startCluster(dir, { namespace: 'shop' });
    kubeconfig = cluster.kubeconfig;
  });

  afterAll(async () => {
    if (proxy && proxy.exitCode === null) {
      const gone = new Promise((r) => proxy!.once('exit', r));
      proxy.kill('SIGTERM');
      await gone;
    }
    await rollout?.stop();
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('check --pre: the cluster can take Skein', async () => {
    const r = await skein(['check', '--pre', '--kubeconfig', kubeconfig]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/✓ Kubernetes API reachable: https:\/\/127\.0\.0\.1:\d+/);
    expect(r.out).toMatch(/✓ Kubernetes version supported: Kubernetes v1\.31\.2 \(native sidecars: yes\)/);
    expect(r.out).toMatch(/✓ permissions to install: may create and patch all \d+ kinds/);
    expect(r.out).toMatch(/✓ no conflicting installation/);
    expect(r.out).toMatch(/✓ all checks passed: Skein can be installed/);
    expect(r.code).toBe(0);
  });

  it('install --dry-run prints exactly what npm run manifests renders for these values, and touches nothing', async () => {
    const values = path.join(dir, 'values.yaml');
    fs.writeFileSync(values, 'replicas: 3\nresources:\n  limits: { memory: 2Gi }\n');
    const rv = cluster.api.store.resourceVersion;
    const r = await skein(['install', '--dry-run', '-f', values, '--set', 'replicas=1', '--set', 'imagePullPolicy=Always', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(installYaml(resolveValues([{ source: 'f', values: { replicas: 1, imagePullPolicy: 'Always', resources: { limits: { memory: '2Gi' } } } }])));
    expect(r.out).toMatch(/replicas: 1\n/);
    expect(cluster.api.store.resourceVersion).toBe(rv);
  });

  it('install: a bad value is a usage error naming it (exit 2), before anything is applied', async () => {
    const rv = cluster.api.store.resourceVersion;
    const r = await skein(['install', '--set', 'replicas=many', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/skein install: --set replicas=many: replicas: expected an integer 1\.\.100, got "many"/);
    const unknown = await skein(['install', '--set', 'nope=1', '--kubeconfig', kubeconfig]);
    expect(unknown.err).toMatch(/unknown value "nope" \(known: image, imagePullPolicy, replicas/);
    expect(cluster.api.store.resourceVersion).toBe(rv);
  });

  it('install: server-side applies every object, waits for CRDs, the control plane and the caBundle, with progress lines', async () => {
    rollout = simulateControlPlaneRollout(cluster, dir);
    const r = await skein(['install', '--set', 'replicas=1', '--timeout', '2m', '--kubeconfig', kubeconfig]);
    controlPlane = await rollout.ready;
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[1]).toBe('Applying 14 objects (server-side apply, field manager "skein"):');
    expect(lines).toEqual(expect.arrayContaining([
      '  Namespace skein-system created',
      ...crds.map((c) => `  CustomResourceDefinition ${c} created`),
      '  Deployment skein-system/skein-controlplane created',
      '  MutatingWebhookConfiguration skein-sidecar-injector created',
      '  ✓ CRDs established (4/4 established)',
      '  ✓ Deployment skein-system/skein-controlplane available (1/1 replicas available)',
      '  ✓ caBundle of MutatingWebhookConfiguration skein-sidecar-injector set by the control plane (caBundle on 2/2 webhooks)',
      '✓ Skein 0.1.0 installed: 14 created.',
    ]));
    // Each object as the API server keeps it: applied by the field manager skein.
    for (const obj of installObjects(resolveValues([setLayer('replicas=1')])).objects) {
      const managers = (stored(cluster, obj)?.metadata.managedFields as { manager: string; operation: string }[] | undefined ?? []).map((m) => `${m.manager}/${m.operation}`);
      expect({ object: `${obj.kind} ${obj.metadata.name}`, managers }).toEqual({ object: `${obj.kind} ${obj.metadata.name}`, managers: expect.arrayContaining(['skein/Apply']) });
    }
  });

  it('install again: nothing changes, and it says so (the caBundle the control plane wrote stays)', async () => {
    const webhook = () => cluster.api.store.get('admissionregistration.k8s.io/mutatingwebhookconfigurations', undefined, 'skein-sidecar-injector')!;
    const before = webhook();
    const r = await skein(['install', '--set', 'replicas=1', '--kubeconfig', kubeconfig]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n {2}Deployment skein-system\/skein-controlplane unchanged\n/);
    expect(r.out).toMatch(/✓ Skein 0\.1\.0 is installed; nothing changed \(14 objects unchanged\)\./);
    const after = webhook();
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((after.webhooks as { clientConfig: { caBundle?: string } }[])[0]!.clientConfig.caBundle).toMatch(/^LS0t/);
  });

  it('a meshed namespace gets the root certificate; the webhook injects a pod; its sidecar joins with its pod-bound token', async () => {
    const { api } = cluster;
    await api.client.create(ref.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'skein.dev/inject': 'enabled' } } });
    await waitFor(() => api.store.get('configmaps', 'shop', 'skein-root-cert') !== undefined, 'skein-root-cert in shop', 30_000);
    const rootCert = path.join(dir, 'root-cert.pem');
    fs.writeFileSync(rootCert, (api.store.get('configmaps', 'shop', 'skein-root-cert')!.data as Record<string, string>)['root-cert.pem']!);
    await api.client.create(ref.serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'productpage', namespace: 'shop' } });
    // Through the API server's admission: the control plane's webhook adds the sidecar (native on 1.31).
    const pod = await createPod(api, 'shop', 'productpage-v1-5d8f', {
      metadata: { labels: { app: 'productpage', version: 'v1' } },
      spec: { serviceAccountName: 'productpage', containers: [{ name: 'productpage', image: 'productpage:1', ports: [{ containerPort: 9080 }] }] },
    });
    expect((pod.spec as { initContainers?: { name: string; restartPolicy?: string }[] }).initContainers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'skein-proxy', restartPolicy: 'Always' })]));
    await markRunning(api, 'shop', 'productpage-v1-5d8f', '127.0.30.1');
    const token = path.join(dir, 'token');
    fs.writeFileSync(token, await podToken(api, pod, 'productpage', 'skein-ca'));
    const admin = await freePort();
    const [health, prometheus, agent] = [await freePort(), await freePort(), await freePort()];
    const log = fs.openSync(path.join(dir, 'proxy.log'), 'a');
    proxy = spawn(process.execPath, [skeinMain, 'proxy', '--no-original-dst', '--drain-seconds', '0', '--admin-port', String(admin), '--health-port', String(health), '--prometheus-port', String(prometheus), '--agent-port', String(agent)], {
      env: {
        ...process.env, POD_NAME: 'productpage-v1-5d8f', POD_NAMESPACE: 'shop', INSTANCE_IP: '127.0.30.1', SERVICE_ACCOUNT: 'productpage',
        SKEIN_XDS_ADDRESS: `127.0.0.1:${controlPlane.ports.xds}`, SKEIN_ROOT_CERT_PATH: rootCert, SKEIN_TOKEN_PATH: token,
      },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    cluster.route('127.0.30.1', 15000, admin);
    await waitFor(async () => (await skein(['proxy-status', '--kubeconfig', kubeconfig])).out.includes('productpage-v1-5d8f.shop'), 'the proxy connected', 60_000);
  });

  it('check: every check passes, the webhook certificate verified by connecting', async () => {
    let r = await skein(['check', '--kubeconfig', kubeconfig]);
    // The proxy may still be taking its first snapshot: in sync within a few seconds.
    for (let i = 0; i < 20 && r.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 500));
      r = await skein(['check', '--kubeconfig', kubeconfig]);
    }
    expect(r.out).toMatch(/✓ CRDs established: 4\/4 established/);
    expect(r.out).toMatch(/✓ control plane ready: 1\/1 replicas available/);
    expect(r.out).toMatch(/✓ webhook registered with a caBundle: caBundle on 2\/2 webhooks/);
    expect(r.out).toMatch(/✓ webhook's serving certificate verifies against the caBundle: pod skein-controlplane-7d4f9-abcde serves a certificate for skein-controlplane\.skein-system\.svc/);
    expect(r.out).toMatch(/✓ root certificate published in meshed namespaces: in 1 namespace \(shop\)/);
    expect(r.out).toMatch(/✓ proxies connected and in sync: 1 proxy, all in sync/);
    expect(r.out).toMatch(/✓ certificates not close to expiry: root .* valid for \d+d/);
    expect(r.out).not.toMatch(/×/);
    expect(r.code).toBe(0);
  });

  it('proxy-status: the sidecar, SYNCED on every type it asked for, its config version and certificate expiry, through a port-forward', async () => {
    const r = await skein(['proxy-status', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    const [header, row] = r.out.split('\n');
    expect(header).toMatch(/^NAME\s+CDS\s+LDS\s+EDS\s+RDS\s+CONTROL PLANE\s+VERSION\s+CERT EXPIRES IN$/);
    // Its inbound HTTP port (9080 in the pod spec) takes routes too: every type is in sync.
    expect(row).toMatch(/^productpage-v1-5d8f\.shop\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED\s+skein-controlplane-7d4f9-abcde\s+\d+\s+23h\d+m \(\d{4}-\d\d-\d\d \d\d:\d\dZ\)$/);
    const json = JSON.parse((await skein(['proxy-status', '-o', 'json', '--kubeconfig', kubeconfig])).out) as { name: string; certificate: { matchedBy: string; spiffeId: string } }[];
    expect(json).toEqual([expect.objectContaining({ name: 'productpage-v1-5d8f.shop', certificate: expect.objectContaining({ matchedBy: 'pod', spiffeId: 'spiffe://cluster.local/ns/shop/sa/productpage' }) })]);
  });

  it("proxy-config: the sidecar's live config by pod name, as a table, JSON or YAML; secrets without keys", async () => {
    const clusters = await skein(['proxy-config', 'clusters', 'productpage-v1-5d8f.shop', '--kubeconfig', kubeconfig]);
    expect(clusters.code).toBe(0);
    expect(clusters.out).toMatch(/^SERVICE FQDN\s+PORT\s+SUBSET\s+DIRECTION\s+TYPE\s+LB\s+TLS\n/);
    expect(clusters.out).toMatch(/\nPassthroughCluster\s+-\s+-\s+-\s+ORIGINAL_DST/);
    // The context's namespace (shop) when POD has none; -o json is the config model's clusters.
    const json = await skein(['proxy-config', 'cluster', 'productpage-v1-5d8f', '-o', 'json', '--kubeconfig', kubeconfig]);
    expect((JSON.parse(json.out) as { name: string }[]).map((c) => c.name)).toContain('PassthroughCluster');
    const yaml = await skein(['proxy-config', 'listener', 'productpage-v1-5d8f', '-n', 'shop', '-o', 'yaml', '--kubeconfig', kubeconfig]);
    expect(Array.isArray(parseYaml(yaml.out))).toBe(true);
    const secret = await skein(['proxy-config', 'secret', 'productpage-v1-5d8f.shop', '--kubeconfig', kubeconfig]);
    expect(secret.out).toMatch(/^RESOURCE NAME\s+TYPE\s+STATUS\s+VALID CERT\s+SERIAL NUMBER\s+NOT AFTER\s+NOT BEFORE\n/);
    expect(secret.out).toMatch(/\ndefault\s+Cert Chain\s+ACTIVE\s+true\s+[0-9a-f]+\s/);
    expect(secret.out).toMatch(/\nROOTCA\s+CA\s+ACTIVE\s+true\s/);
    const secretJson = await skein(['proxy-config', 'secret', 'productpage-v1-5d8f.shop', '-o', 'json', '--kubeconfig', kubeconfig]);
    expect(secretJson.out).toMatch(/BEGIN CERTIFICATE/);
    expect(secretJson.out).not.toMatch(/PRIVATE KEY/);
  });

  it('proxy-config: a pod that does not exist, or runs no sidecar, is said plainly (exit 1)', async () => {
    const missing = await skein(['proxy-config', 'cluster', 'ghost-1.shop', '--kubeconfig', kubeconfig]);
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toBe('skein proxy-config: pod "ghost-1" not found in namespace "shop" (kubectl get pods -n shop)\n');
    // Opted out as with Istio: the webhook is asked and leaves the pod alone.
    await createPod(cluster.api, 'shop', 'plain-1', { metadata: { annotations: { 'sidecar.istio.io/inject': 'false' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });
    await markRunning(cluster.api, 'shop', 'plain-1', '127.0.30.9');
    const plain = await skein(['proxy-config', 'cluster', 'plain-1.shop', '--kubeconfig', kubeconfig]);
    expect(plain).toMatchObject({ code: 1, err: 'skein proxy-config: pod shop/plain-1 has no skein-proxy container: it is not in the mesh\n' });
  });

  it("version: the CLI's, the cluster's and the control plane's", async () => {
    const r = await skein(['version', '--kubeconfig', kubeconfig]);
    expect(r).toMatchObject({ code: 0, out: 'client: skein 0.1.0\nkubernetes: v1.31.2\ncontrol plane: skein 0.1.0 (skein-controlplane-7d4f9-abcde)\n' });
    const json = JSON.parse((await skein(['version', '-o', 'json', '--kubeconfig', kubeconfig])).out) as object;
    expect(json).toEqual({ client: { version: '0.1.0' }, kubernetes: { version: 'v1.31.2' }, controlPlane: [{ name: 'skein-controlplane-7d4f9-abcde', version: '0.1.0' }] });
    expect(await skein(['--version'])).toMatchObject({ code: 0, out: 'skein 0.1.0\n' });
  });

  it("analyze on the live cluster: its Services and Skein resources, every problem; files apply over the cluster's objects", async () => {
    await cluster.api.client.create(ref.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } });
    await cluster.api.client.create(ref.virtualServices, {
      apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }] },
    });
    const r = await skein(['analyze', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^VirtualService\/shop\/reviews: spec\.http\[0\]\.route\[0\]\.destination: subset "v2" of reviews\.shop\.svc\.cluster\.local is not defined by any DestinationRule$/m);
    expect(r.out).toMatch(/1 problem\(s\) found in \d+ objects \(\d+ from the cluster: Namespace, Service, VirtualService, DestinationRule, PeerAuthentication, AuthorizationPolicy\)/);
    // The fix, as a file, checked against the cluster before it is applied.
    const fix = path.join(dir, 'dr.yaml');
    fs.writeFileSync(fix, 'apiVersion: networking.skein.dev/v1alpha1\nkind: DestinationRule\nmetadata: { name: reviews, namespace: shop }\nspec:\n  host: reviews\n  subsets: [{ name: v2, labels: { version: v2 } }]\n');
    const fixed = await skein(['analyze', fix, '--kubeconfig', kubeconfig]);
    expect(fixed.out).toMatch(/^no problems found/);
    expect(fixed.code).toBe(0);
  });

  it("inject asks the cluster for its version: native sidecars from 1.29, classic before", async () => {
    const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: shop }\nspec:\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web, skein.dev/inject: "true" } }\n    spec: { containers: [{ name: web, image: web }] }\n';
    const native = await skein(['inject', '-f', '-', '--kubeconfig', kubeconfig], { input: deployment });
    expect(native.code).toBe(0);
    expect(native.err).toMatch(/^cluster version v1\.31\.2 \(https:\/\/127\.0\.0\.1:\d+, kubeconfig .*\): native sidecars\n$/);
    const pod = (parseYaml(native.out) as { spec: { template: { spec: { initContainers: { name: string; restartPolicy?: string }[] } } } }).spec.template.spec;
    expect(pod.initContainers.find((c) => c.name === 'skein-proxy')?.restartPolicy).toBe('Always');
    cluster.api.hooks.version = 'v1.28.7';
    const classic = await skein(['inject', '-f', '-', '--kubeconfig', kubeconfig], { input: deployment });
    expect(classic.err).toMatch(/^cluster version v1\.28\.7 .*: classic sidecars \(native ones need 1\.29\+\)\n$/);
    expect((parseYaml(classic.out) as { spec: { template: { spec: { containers: { name: string }[] } } } }).spec.template.spec.containers.map((c) => c.name)).toContain('skein-proxy');
    // An explicit choice asks nothing.
    const explicit = await skein(['inject', '-f', '-', '--native-sidecars', 'on', '--kubeconfig', kubeconfig], { input: deployment });
    expect(explicit.err).toBe('');
    cluster.api.hooks.version = 'v1.31.2';
  });

  it('check --pre on an installed cluster: the installation is a conflict', async () => {
    const r = await skein(['check', '--pre', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/× no conflicting installation: Skein objects already exist: Namespace skein-system, CustomResourceDefinition/);
    expect(r.out).toMatch(/\n {4}hint: `skein check` checks the existing installation/);
  });

  it('uninstall: removes what install created, webhook first; says what stays (CRDs and policies, the CA namespace, root certs)', async () => {
    await rollout.stop(); // the control plane's pod goes with the Deployment
    const r = await skein(['uninstall', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[1]).toBe('  MutatingWebhookConfiguration skein-sidecar-injector deleted');
    expect(lines).toContain('  Deployment skein-system/skein-controlplane deleted');
    expect(r.out).toMatch(/✓ Skein uninstalled from https:\/\/127\.0\.0\.1:\d+: 9 deleted\.\nKept \(`skein uninstall --purge` removes them\):\n/);
    expect(r.out).toMatch(/ {2}CustomResourceDefinition virtualservices\.networking\.skein\.dev \(1 object\)\n/);
    expect(r.out).toMatch(/ {2}Namespace skein-system with the CA Secret/);
    const { store } = cluster.api;
    expect(store.get('apps/deployments', 'skein-system', 'skein-controlplane')).toBeUndefined();
    expect(store.get('apiextensions.k8s.io/customresourcedefinitions', undefined, crds[3]!)).toBeDefined();
    expect(store.get('secrets', 'skein-system', 'skein-ca')).toBeDefined();
    const check = await skein(['check', '--kubeconfig', kubeconfig]);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(/× control plane ready: Deployment not found\n {4}hint: /);
  });

  it('uninstall --purge: CRDs with every Skein resource, the CA namespace and the root-cert ConfigMaps go too', async () => {
    const r = await skein(['uninstall', '--purge', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ConfigMap shop\/skein-root-cert deleted/);
    expect(r.out).not.toMatch(/Kept/);
    // The API server finishes what the deletes started: CRDs take their resources, the namespace its contents.
    const { store } = cluster.api;
    await waitFor(() => store.get('namespaces', undefined, 'skein-system') === undefined, 'skein-system gone', 30_000);
    await waitFor(() => crds.every((c) => store.get('apiextensions.k8s.io/customresourcedefinitions', undefined, c) === undefined), 'the CRDs gone', 30_000);
    expect(store.get('networking.skein.dev/virtualservices', 'shop', 'reviews')).toBeUndefined();
    expect(store.get('secrets', 'skein-system', 'skein-ca')).toBeUndefined();
    expect(store.get('configmaps', 'shop', 'skein-root-cert')).toBeUndefined();
  });
});
