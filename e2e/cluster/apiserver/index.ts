/**
 * The simulated cluster's API server: one call starts an HTTPS kube-apiserver double with its own
 * CA, a kubeconfig for it, the namespaces and objects a fresh cluster has (default, kube-system,
 * kube-public, kube-node-lease, the `kubernetes` Service and its endpoints, cluster-admin), and the
 * in-process controllers that stand in for kube-controller-manager and kube-scheduler.
 * See docs/kubernetes.md ("The simulated API server") for what it does differently from the real one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { type Dialer } from './admission/webhook-client';
import { apiServerNames, createCertificateAuthority, issueCertificate, type IssuedCertificate } from './auth/pki';
import { InProcessClient } from './client';
import { firstAddress, parseCidr } from './core/cidr';
import { type KubeObject } from './core/json';
import { type UserInfo } from './core/rbac';
import { storageKey } from './core/resource-types';
import { buildCore, type Core, type Log } from './core-wiring';
import { type Change } from './storage';
import { type Controller, type ControllerContext } from '../controllers/controller';
import { DeploymentController } from '../controllers/deployment';
import { EndpointSliceController } from '../controllers/endpointslice';
import { GarbageCollector } from '../controllers/garbage-collector';
import { JobController } from '../controllers/job';
import { NamespaceController } from '../controllers/namespace';
import { ReplicaSetController } from '../controllers/replicaset';
import { Scheduler } from '../controllers/scheduler';

export { type Dialer, type DialTarget } from './admission/webhook-client';
export { type KubeObject } from './core/json';
export { type IssuedCertificate, createCertificateAuthority, issueCertificate } from './auth/pki';
export { InProcessClient } from './client';

export type ControllerName = 'namespace' | 'garbageCollector' | 'replicaSet' | 'deployment' | 'job' | 'endpointSlice' | 'scheduler';

export interface SimulatedApiServerOptions {
  /** Listen address (default 127.0.0.1; `0.0.0.0` to be reachable from pod network namespaces). */
  host?: string;
  /** Listen port (default 0: any free one). */
  port?: number;
  /** The address the `kubernetes` Service's endpoint and the kubeconfig name (default: host, or 127.0.0.1 for 0.0.0.0). */
  advertiseAddress?: string;
  /** /version's gitVersion (default v1.33.1: native sidecars on). */
  version?: string;
  /** ClusterIP range (default 10.96.0.0/16; the first address is the `kubernetes` Service's). */
  serviceCidr?: string;
  clusterDomain?: string;
  /** Bearer token of the admin user (system:masters); random when absent. */
  adminToken?: string;
  /** RBAC (default) enforces the stored Roles/ClusterRoles and bindings; AlwaysAllow lets every authenticated user do anything. */
  authorization?: 'RBAC' | 'AlwaysAllow';
  /** The in-process controllers to run (default: all). */
  controllers?: boolean | Partial<Record<ControllerName, boolean>>;
  /** How the API server reaches webhook endpoints and pods (pods/services proxy); default: plain TCP to the IP. */
  dialer?: Dialer;
  /** The clock of timestamps and token lifetimes (tests move it to expire tokens). */
  now?: () => Date;
  /** Where kubeconfig and ca.crt are written (default: a fresh temporary directory, removed by stop()). */
  stateDir?: string;
  watchHistory?: number;
  bookmarkIntervalMs?: number;
  log?: Log;
}

/** Read access to what is stored, for assertions. `resource` is `pods`, `apps/deployments`, `networking.skein.dev/virtualservices`… */
export interface StoreView {
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  readonly resourceVersion: number;
  onChange(listener: (change: Change) => void): () => void;
}

export interface KubeconfigDocument {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { token: string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
}

export interface SimulatedApiServer {
  /** `https://<advertiseAddress>:<port>`. */
  url: string;
  host: string;
  port: number;
  /** The cluster CA (PEM): pods mount it as ca.crt (kube-root-ca.crt ConfigMap); kubeconfigs trust it. */
  caPem: string;
  adminToken: string;
  kubeconfigPath: string;
  kubeconfig: KubeconfigDocument;
  /** Service-account token issuer (`https://kubernetes.default.svc.<domain>`), also the default audience. */
  issuer: string;
  /** ClusterIP of default/kubernetes (what KUBERNETES_SERVICE_HOST is in pods). */
  kubernetesServiceIP: string;
  /** Mutable: replace `dialer` to route the API server's connections (webhooks, proxy) into pod networks. */
  hooks: { dialer: Dialer; version: string };
  store: StoreView;
  /** An in-process admin client (no wire; the same pipeline as REST). */
  client: InProcessClient;
  /** A static bearer token for the simulated kubelet of `nodeName` (user system:node:<name>, group system:nodes). */
  nodeToken(nodeName: string): string;
  /** Adds a static bearer token for a user (e.g. an unprivileged one in RBAC tests). */
  addToken(token: string, user: UserInfo): void;
  /** A serving certificate for `names` signed by the cluster CA. */
  issueCertificate(names: string[]): Promise<IssuedCertificate>;
  /**
   * Where pods reach this server (kube-apiserver's advertise address and secure port, as its
   * endpoint reconciler publishes them): the `default/kubernetes` Endpoints and EndpointSlice, and
   * the Service's targetPort. A simulated node passes its `apiServerEndpoint` (its relay to `url`).
   */
  setApiServerEndpoint(endpoint: { ip: string; port: number }): Promise<void>;
  /** Resolves when every controller has nothing queued. */
  settled(): Promise<void>;
  /** Watch-cache controls for wire tests: forget history (410 for older watches), bookmark now, end all watches. */
  compact(): void;
  bookmark(): void;
  closeWatches(): void;
  stop(): Promise<void>;
  /** The parts, for tests of the server itself. */
  core: Core;
}

const controllerFactories: Record<ControllerName, (ctx: ControllerContext, core: Core, caPem: string) => Controller> = {
  namespace: (ctx, core, caPem) => new NamespaceController(ctx, core.registry, caPem),
  garbageCollector: (ctx, core) => new GarbageCollector(ctx, core.registry),
  replicaSet: (ctx) => new ReplicaSetController(ctx),
  deployment: (ctx) => new DeploymentController(ctx),
  job: (ctx) => new JobController(ctx),
  endpointSlice: (ctx) => new EndpointSliceController(ctx),
  scheduler: (ctx) => new Scheduler(ctx),
};

const adminUser: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const controllerManager: UserInfo = { username: 'system:kube-controller-manager', groups: ['system:masters', 'system:authenticated'] };

/** The bootstrap RBAC objects a kubeadm cluster has that the double needs. */
function bootstrapRbac(): KubeObject[] {
  const rbac = 'rbac.authorization.k8s.io/v1';
  const labels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
  return [
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'cluster-admin', labels }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: 'cluster-admin', labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }] },
    {
      apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'system:node', labels },
      rules: [
        { apiGroups: [''], resources: ['pods', 'nodes', 'services', 'endpoints', 'configmaps', 'secrets', 'serviceaccounts', 'persistentvolumeclaims', 'namespaces'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes', 'nodes/status', 'pods/status'], verbs: ['create', 'update', 'patch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
        { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
    },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: 'system:node', labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }] },
  ];
}

/** `default/kubernetes` Endpoints: the address pods use to reach the API server. */
function kubernetesEndpoints(ip: string, port: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  };
}

function kubernetesEndpointSlice(ip: string, port: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4', endpoints: [{ addresses: [ip], conditions: { ready: true } }], ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
}

export async function startSimulatedApiServer(options: SimulatedApiServerOptions = {}): Promise<SimulatedApiServer> {
  const host = options.host ?? '127.0.0.1';
  const advertise = options.advertiseAddress ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const clusterDomain = options.clusterDomain ?? 'cluster.local';
  const serviceCidr = options.serviceCidr ?? '10.96.0.0/16';
  const kubernetesServiceIP = firstAddress(parseCidr(serviceCidr));
  let port = options.port ?? 0;
  const core = buildCore({
    ...options, serviceCidr, clusterDomain, serverAddress: () => `${advertise}:${port}`,
  });
  const ca = await createCertificateAuthority('kubernetes');
  const serving = await issueCertificate(ca, [...apiServerNames(clusterDomain, [host, advertise]), kubernetesServiceIP], 'kube-apiserver');
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
  core.authenticator.addStaticToken(adminToken, adminUser);
  const client = new InProcessClient(core.engine, adminUser, 'kubectl/v1.33.1');
  const controllerClient = new InProcessClient(core.engine, controllerManager, 'kube-controller-manager/v1.33.1');

  // A fresh cluster's objects.
  for (const obj of bootstrapRbac()) await client.create(core.engine.resolve('rbac.authorization.k8s.io', 'v1', obj.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings'), obj);
  const nsType = core.engine.resolve('', 'v1', 'namespaces');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await client.create(nsType, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem, minVersion: 'TLSv1.2' }, core.frontend.handler);
  server.on('upgrade', core.frontend.upgrade);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `https://${advertise.includes(':') ? `[${advertise}]` : advertise}:${port}`;

  await client.create(core.engine.resolve('', 'v1', 'services'), {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { clusterIP: kubernetesServiceIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None', type: 'ClusterIP' },
  });
  await client.create(core.engine.resolve('', 'v1', 'endpoints'), kubernetesEndpoints(advertise, port));
  await client.create(core.engine.resolve('discovery.k8s.io', 'v1', 'endpointslices'), kubernetesEndpointSlice(advertise, port));

  // kube-controller-manager and kube-scheduler, in process.
  const enabled = options.controllers ?? true;
  const ctx: ControllerContext = { storage: core.storage, client: controllerClient, now: core.now, random: core.random, log: core.log };
  const controllers = (Object.keys(controllerFactories) as ControllerName[])
    .filter((n) => (typeof enabled === 'boolean' ? enabled : enabled[n] ?? true))
    .map((n) => controllerFactories[n](ctx, core, ca.certPem));
  const unsubscribe = core.storage.onChange((change) => {
    for (const c of controllers) c.observe(change);
  });
  for (const t of core.registry.all()) {
    if (t.virtual) continue;
    const resource = storageKey(t);
    for (const o of core.storage.list(resource)) {
      for (const c of controllers) c.observe({ type: 'ADDED', resource, object: o, rv: core.storage.resourceVersion });
    }
  }

  const ownDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'skein-apiserver-'));
  fs.mkdirSync(stateDir, { recursive: true });
  const kubeconfig: KubeconfigDocument = {
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'skein-sim', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
    users: [{ name: 'admin', user: { token: adminToken } }],
    contexts: [{ name: 'skein-sim', context: { cluster: 'skein-sim', user: 'admin' } }],
    'current-context': 'skein-sim',
  };
  const kubeconfigPath = path.join(stateDir, 'kubeconfig');
  fs.writeFileSync(kubeconfigPath, toYaml(kubeconfig), { mode: 0o600 });
  fs.writeFileSync(path.join(stateDir, 'ca.crt'), ca.certPem);

  const nodeTokens = new Map<string, string>();
  let stopped = false;
  return {
    url, host, port, caPem: ca.certPem, adminToken, kubeconfigPath, kubeconfig, issuer: core.issuer, kubernetesServiceIP, hooks: core.hooks, client, core,
    store: {
      get: (resource, ns, name) => core.storage.get(resource, ns, name),
      list: (resource, ns) => core.storage.list(resource, ns),
      get resourceVersion() {
        return core.storage.resourceVersion;
      },
      onChange: (listener) => core.storage.onChange(listener),
    },
    nodeToken(nodeName: string) {
      let token = nodeTokens.get(nodeName);
      if (!token) {
        token = randomBytes(24).toString('base64url');
        nodeTokens.set(nodeName, token);
        core.authenticator.addStaticToken(token, { username: `system:node:${nodeName}`, groups: ['system:nodes'] });
      }
      return token;
    },
    addToken: (token, user) => core.authenticator.addStaticToken(token, user),
    issueCertificate: (names) => issueCertificate(ca, names),
    async setApiServerEndpoint(endpoint) {
      const service = await client.get(core.engine.resolve('', 'v1', 'services'), 'default', 'kubernetes');
      const spec = service.spec as { ports: { targetPort?: number }[] };
      spec.ports = spec.ports.map((p) => ({ ...p, targetPort: endpoint.port }));
      await client.update(core.engine.resolve('', 'v1', 'services'), service);
      for (const [ref, desired] of [
        [core.engine.resolve('', 'v1', 'endpoints'), kubernetesEndpoints(endpoint.ip, endpoint.port)],
        [core.engine.resolve('discovery.k8s.io', 'v1', 'endpointslices'), kubernetesEndpointSlice(endpoint.ip, endpoint.port)],
      ] as const) {
        const current = await client.get(ref, 'default', 'kubernetes');
        await client.update(ref, { ...desired, metadata: { ...current.metadata, ...desired.metadata } });
      }
    },
    async settled() {
      for (let round = 0; round < 50; round++) {
        const rv = core.storage.resourceVersion;
        await Promise.all(controllers.map((c) => c.idle()));
        await new Promise((resolve) => setImmediate(resolve));
        if (core.storage.resourceVersion === rv) return;
      }
    },
    compact: () => core.storage.compact(),
    bookmark: () => core.frontend.bookmarkAll(),
    closeWatches: () => core.frontend.closeAll(),
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      for (const c of controllers) c.stop();
      core.frontend.closeAll();
      core.frontend.closeUpgraded();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
