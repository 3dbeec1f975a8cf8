/**
 * `skein check` (is the installation healthy?) and `skein check --pre` (can Skein be installed
 * here?), like `linkerd check`: one line per check, ✓ or ×, a hint under each ×. The rules live in
 * core/readiness.ts (shared with `skein install`); this module fetches what they judge.
 *
 * The webhook check does what the API server does: connects to the webhook (through a port-forward
 * to a control plane pod's :15017), verifies the serving certificate against the caBundle of the
 * MutatingWebhookConfiguration for the Service's DNS name, TLS 1.2+.
 */
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { Kinds, SkeinKinds } from '../../../api/src/crd';
import { Annotations, ControlPlaneHost, ControlPlaneName, ControlPlanePorts, Labels, RootCertConfigMap, SystemNamespace } from '../../../api/src/names';
import { inSync, type ProxyStatus } from '../core/proxy-status';
import { settled } from '../core/sync-state';
import {
  certificateFresh, crdsEstablished, deploymentAvailable, kubernetesVersionSupported, type ObjectLike, type Progress,
  rootCertificateMinimumMs, webhookCaBundleSet, workloadCertificateFresh,
} from '../core/readiness';
import { isNotFound } from './api';
import { type Cluster, describeApiFailure, serverVersion } from './cluster';
import { clusterProxyStatuses, controlPlanePods, listPods, type PodSummary } from './control-plane';
import { type ManifestObject, objectPath, resourceTypeOf } from './install';
import { RootCertKey } from './root-cert-publisher';
import { ConfigMapResource, NamespaceResource, resourcePath } from './resources';
import { forwardPodPort } from './transport';
import { DefaultWebhookConfigurationName } from './webhook-ca-bundle';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  hint?: string;
}

export interface CheckIo {
  /** Called as each check completes, so output streams. */
  report(result: CheckResult): void;
  now(): Date;
}

const deploymentPath = `/apis/apps/v1/namespaces/${SystemNamespace}/deployments/${ControlPlaneName}`;
const webhookPath = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${DefaultWebhookConfigurationName}`;
const crdPath = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
export const skeinCrdNames = (): string[] => SkeinKinds.map((k) => `${Kinds[k].plural}.${Kinds[k].group}`);

export function formatCheck(r: CheckResult): string {
  return `${r.ok ? '✓' : '×'} ${r.name}: ${r.detail}${!r.ok && r.hint ? `\n    hint: ${r.hint}` : ''}`;
}

async function getOrUndefined<T>(cluster: Cluster, path: string): Promise<T | undefined> {
  try {
    return await cluster.api.get<T>(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Runs the checks in order; a check that throws is a × with the reason. Returns whether all passed. */
async function runChecks(steps: { name: string; hint: string; run(): Promise<Progress> }[], io: CheckIo): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    let result: CheckResult;
    try {
      const p = await step.run();
      result = { name: step.name, ok: p.ok, detail: p.detail, hint: step.hint };
    } catch (err) {
      result = { name: step.name, ok: false, detail: (err as Error).message, hint: step.hint };
    }
    ok &&= result.ok;
    io.report(result);
  }
  return ok;
}

/** API reachable and version supported; false stops the run (nothing else can be asked). */
async function apiChecks(cluster: Cluster, io: CheckIo): Promise<boolean> {
  let version;
  try {
    version = await serverVersion(cluster.api);
  } catch (err) {
    io.report({ name: 'Kubernetes API reachable', ok: false, detail: describeApiFailure(err, cluster.server), hint: `check the kubeconfig (${cluster.source}) and that the cluster is up: kubectl version` });
    io.report({ name: 'remaining checks', ok: false, detail: 'skipped: the Kubernetes API cannot be reached' });
    return false;
  }
  io.report({ name: 'Kubernetes API reachable', ok: true, detail: cluster.server });
  const supported = kubernetesVersionSupported(version);
  io.report({ name: 'Kubernetes version supported', ...supported, hint: 'upgrade the cluster' });
  return supported.ok;
}

/** Dials the webhook through a control plane pod and verifies its certificate against `caBundlePem` for the Service name. */
async function verifyWebhookCertificate(cluster: Cluster, pod: string, caBundlePem: string): Promise<Progress> {
  const forward = await forwardPodPort(cluster, { namespace: SystemNamespace, pod, port: ControlPlanePorts.webhook });
  try {
    const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: forward.port, servername: ControlPlaneHost, ca: caBundlePem, minVersion: 'TLSv1.2', timeout: 10_000 }, () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      });
      socket.on('timeout', () => socket.destroy(new Error('no TLS handshake within 10 s')));
      socket.on('error', (err) => reject(new Error(forward.lastError ?? err.message)));
    });
    return { ok: true, detail: `pod ${pod} serves a certificate for ${ControlPlaneHost} that the caBundle verifies (valid until ${new Date(peer.valid_to).toISOString()})` };
  } catch (err) {
    return { ok: false, detail: `pod ${pod}: ${(err as Error).message}` };
  } finally {
    await forward.close();
  }
}

function certificatesIn(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c));
}

/** Namespaces that need the trust bundle: labelled for injection, or running injected pods (as the publisher decides). */
function meshedNamespaces(namespaces: { metadata: { name: string; labels?: Record<string, string> } }[], pods: PodSummary[]): string[] {
  const out = new Set<string>();
  for (const ns of namespaces) if (ns.metadata.labels?.[Labels.inject] === 'enabled') out.add(ns.metadata.name);
  for (const p of pods) if (p.annotations[Annotations.status] !== undefined) out.add(p.namespace);
  return [...out].sort();
}

/** `skein check`: the installation as it runs. */
export async function checkInstallation(cluster: Cluster, io: CheckIo): Promise<boolean> {
  if (!(await apiChecks(cluster, io))) return false;
  let caBundlePem = '';
  let readyPods: PodSummary[] = [];
  let statuses: ProxyStatus[] = [];
  let statusErrors: string[] = [];
  const steps = [
    {
      name: 'CRDs established', hint: 'run `skein install` (or `kubectl apply -f manifests/install.yaml`)',
      run: async () => crdsEstablished(new Map(await Promise.all(skeinCrdNames().map(async (n) => [n, await getOrUndefined<ObjectLike>(cluster, crdPath(n))] as const)))),
    },
    {
      name: 'control plane ready', hint: `kubectl -n ${SystemNamespace} describe deployment ${ControlPlaneName}; kubectl -n ${SystemNamespace} logs deployment/${ControlPlaneName}`,
      run: async () => {
        const progress = deploymentAvailable(await getOrUndefined<ObjectLike>(cluster, deploymentPath));
        readyPods = (await controlPlanePods(cluster)).filter((p) => p.ready);
        return progress;
      },
    },
    {
      name: 'webhook registered with a caBundle', hint: `the control plane's leader writes it; kubectl -n ${SystemNamespace} logs deployment/${ControlPlaneName} | grep webhook`,
      run: async () => {
        const config = await getOrUndefined<{ webhooks?: { name: string; clientConfig?: { caBundle?: string } }[] }>(cluster, webhookPath);
        const progress = webhookCaBundleSet(config);
        const first = config?.webhooks?.find((w) => w.clientConfig?.caBundle)?.clientConfig?.caBundle;
        if (first) caBundlePem = Buffer.from(first, 'base64').toString('utf8');
        return progress;
      },
    },
    {
      name: "webhook's serving certificate verifies against the caBundle", hint: 'pods in meshed namespaces would be refused (failurePolicy Fail); restart the control plane to reissue its certificate',
      run: async () => {
        if (!caBundlePem) return { ok: false, detail: 'no caBundle to verify with' };
        if (readyPods.length === 0) return { ok: false, detail: 'no ready control plane pod to connect to' };
        return verifyWebhookCertificate(cluster, readyPods[0]!.name, caBundlePem);
      },
    },
    {
      name: 'root certificate published in meshed namespaces', hint: `the leader publishes ConfigMap ${RootCertConfigMap} within a minute; check its logs`,
      run: async () => {
        const namespaces = await cluster.api.list<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>(resourcePath(NamespaceResource));
        const meshed = meshedNamespaces(namespaces.items, await listPods(cluster));
        if (meshed.length === 0) return { ok: true, detail: `no meshed namespaces yet (label one with ${Labels.inject}=enabled)` };
        const missing: string[] = [];
        const differing: string[] = [];
        for (const ns of meshed) {
          const cm = await getOrUndefined<{ data?: Record<string, string> }>(cluster, resourcePath(ConfigMapResource, ns, RootCertConfigMap));
          const pem = cm?.data?.[RootCertKey];
          if (!pem) missing.push(ns);
          else if (caBundlePem && pem.trim() !== caBundlePem.trim()) differing.push(ns);
        }
        const problems = [...(missing.length ? [`missing in ${missing.join(', ')}`] : []), ...(differing.length ? [`differs from the webhook's caBundle in ${differing.join(', ')}`] : [])];
        return problems.length ? { ok: false, detail: problems.join('; ') } : { ok: true, detail: `in ${meshed.length} namespace${meshed.length === 1 ? '' : 's'} (${meshed.join(', ')})` };
      },
    },
    {
      name: 'proxies connected and in sync', hint: 'skein proxy-status shows each proxy; kubectl logs POD -c skein-proxy',
      run: async () => {
        ({ statuses, errors: statusErrors } = await clusterProxyStatuses(cluster));
        const injected = (await listPods(cluster)).filter((p) => p.containers.includes('skein-proxy') && p.phase === 'Running');
        const connected = new Set(statuses.map((s) => s.name));
        const notConnected = injected.filter((p) => !connected.has(`${p.name}.${p.namespace}`)).map((p) => `${p.name}.${p.namespace}`);
        const behind = statuses.filter((s) => !inSync(s));
        const problems = [
          ...statusErrors,
          ...behind.map((s) => `${s.name}: ${s.nacks.length ? s.nacks.map((n) => `${n.type} NACKED: ${n.message}`).join('; ') : Object.entries(s.states).filter(([, v]) => !settled(v)).map(([k, v]) => `${k} ${v}`).join(', ') || s.snapshotErrors.join('; ')}`),
          ...(notConnected.length ? [`injected pods not connected: ${notConnected.join(', ')}`] : []),
        ];
        if (problems.length) return { ok: false, detail: problems.join('; ') };
        return { ok: true, detail: statuses.length ? `${statuses.length} prox${statuses.length === 1 ? 'y' : 'ies'}, all in sync` : 'no proxies connected yet' };
      },
    },
    {
      name: 'certificates not close to expiry', hint: 'roots: rotate the CA (docs/operations.md); workloads: a proxy that cannot renew logs why (kubectl logs POD -c skein-proxy)',
      run: async () => {
        const now = io.now();
        const results: Progress[] = certificatesIn(caBundlePem).map((c) => certificateFresh(`root ${c.subject.replace(/\n/g, ', ')}`, new Date(c.validTo), now, rootCertificateMinimumMs));
        for (const s of statuses) {
          if (s.certificate) results.push(workloadCertificateFresh(`${s.name}'s certificate`, new Date(s.certificate.issuedAt), new Date(s.certificate.notAfter), now));
        }
        if (results.length === 0) return { ok: true, detail: 'no certificates to check yet' };
        const bad = results.filter((r) => !r.ok);
        const roots = results.filter((r) => r.detail.startsWith('root'));
        return bad.length ? { ok: false, detail: bad.map((r) => r.detail).join('; ') } : { ok: true, detail: `${roots.map((r) => r.detail).join('; ')}${results.length > roots.length ? `; ${results.length - roots.length} workload certificate${results.length - roots.length === 1 ? '' : 's'} fresh` : ''}` };
      },
    },
  ];
  return runChecks(steps, io);
}

/** `skein check --pre`: before install. `objects` are what install would apply (for the permission checks). */
export async function checkPreInstall(cluster: Cluster, objects: readonly ManifestObject[], io: CheckIo): Promise<boolean> {
  if (!(await apiChecks(cluster, io))) return false;
  const steps = [
    {
      name: 'permissions to install', hint: 'install as a cluster administrator (cluster-admin): Skein creates CRDs, cluster roles and a webhook configuration',
      run: async () => {
        const denied: string[] = [];
        const seen = new Set<string>();
        for (const obj of objects) {
          const type = resourceTypeOf(obj);
          const group = type.apiVersion.includes('/') ? type.apiVersion.split('/')[0]! : '';
          const namespace = type.namespaced ? obj.metadata.namespace : undefined;
          for (const verb of ['create', 'patch']) {
            const key = `${verb} ${type.plural}.${group} ${namespace ?? ''}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const review = await cluster.api.create<{ status?: { allowed?: boolean } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
              apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
              spec: { resourceAttributes: { verb, group, resource: type.plural, ...(namespace ? { namespace } : {}) } },
            });
            if (!review.status?.allowed) denied.push(`${verb} ${type.plural}${group ? `.${group}` : ''}${namespace ? ` in ${namespace}` : ''}`);
          }
        }
        return denied.length ? { ok: false, detail: `not allowed to ${denied.join(', ')}` } : { ok: true, detail: `may create and patch all ${seen.size / 2} kinds of object the install applies` };
      },
    },
    {
      name: 'no conflicting installation', hint: '`skein check` checks the existing installation; `skein install` upgrades it in place; `skein uninstall --purge` removes it',
      run: async () => {
        const found: string[] = [];
        for (const obj of objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition' || o.kind === 'MutatingWebhookConfiguration')) {
          if (await getOrUndefined(cluster, objectPath(obj))) found.push(`${obj.kind} ${obj.metadata.name}`);
        }
        if (found.length) return { ok: false, detail: `Skein objects already exist: ${found.join(', ')}` };
        const hooks = await cluster.api.list<{ items: { metadata: { name: string } }[] }>('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations');
        const others = hooks.items.map((h) => h.metadata.name).filter((n) => /istio|linkerd/.test(n));
        return { ok: true, detail: `no Skein objects yet${others.length ? `; other meshes' injectors present (${others.join(', ')}): Skein injects only where ${Labels.inject} says so, and honours sidecar.istio.io/inject: "false" (docs/injection.md)` : ''}` };
      },
    },
  ];
  return runChecks(steps, io);
}
