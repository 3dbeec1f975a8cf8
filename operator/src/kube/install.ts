/**
 * `skein install` and `skein uninstall` against the API server: server-side apply (field manager
 * `skein`) of the rendered manifests, then waiting until the installation works — CRDs Established,
 * the control plane Deployment available, the webhook's caBundle written by the control plane —
 * with a progress line per step. Applying what is already there changes nothing (no new
 * resourceVersion) and is reported as such. The manifests come in as objects (manifests/ renders
 * them; cli/ passes them here), so this module knows no chart.
 */
import { Labels, RootCertConfigMap } from '../../../api/src/names';
import { crdsEstablished, daemonSetReady, deploymentAvailable, formatAge, type ObjectLike, type Progress, webhookCaBundleSet } from '../core/readiness';
import { type KubeApi, isNotFound } from './api';
import { ConfigMapResource, NamespaceResource, resourcePath, type ResourceType } from './resources';

export const FieldManager = 'skein';

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { group?: string; names?: { plural?: string }; versions?: { name: string }[] } & Record<string, unknown>;
  [field: string]: unknown;
}

/** REST mappings of the kinds the install manifests hold (a kind missing here is an error naming it). */
const restMappings: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': { plural: 'mutatingwebhookconfigurations', namespaced: false },
};

export function resourceTypeOf(obj: Pick<ManifestObject, 'apiVersion' | 'kind'>): ResourceType {
  const m = restMappings[`${obj.apiVersion}/${obj.kind}`];
  if (!m) throw new Error(`no REST mapping for ${obj.apiVersion} ${obj.kind}: add it to operator/src/kube/install.ts`);
  return { kind: obj.kind, apiVersion: obj.apiVersion, ...m };
}

export function objectPath(obj: ManifestObject): string {
  const type = resourceTypeOf(obj);
  return resourcePath(type, type.namespaced ? obj.metadata.namespace ?? 'default' : undefined, obj.metadata.name);
}

/** `Deployment skein-system/skein-controlplane`, `Namespace skein-system` */
export function describeObject(obj: Pick<ManifestObject, 'kind' | 'metadata'>): string {
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/** Applies one object; says whether it was created, changed or left as it was (same resourceVersion). */
export async function applyObject(api: KubeApi, obj: ManifestObject): Promise<ApplyOutcome> {
  const path = objectPath(obj);
  let before: string | undefined;
  try {
    before = (await api.get<ManifestObject>(path)).metadata.resourceVersion;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const after = await api.apply<ManifestObject>(path, obj, FieldManager);
  if (before === undefined) return 'created';
  return after.metadata.resourceVersion === before ? 'unchanged' : 'configured';
}

export interface InstallIo {
  /** One line of progress (no newline). */
  line(text: string): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface InstallOptions {
  objects: readonly ManifestObject[];
  /** For the last line, e.g. `0.1.0`. */
  version: string;
  timeoutMs: number;
  pollMs?: number;
  /** Apply only (no waiting for readiness). */
  wait?: boolean;
}

/** The readiness steps, in the order they complete on a real cluster. */
function readinessSteps(objects: readonly ManifestObject[]): { name: string; check(api: KubeApi): Promise<Progress> }[] {
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const daemonSets = objects.filter((o) => o.kind === 'DaemonSet');
  const webhooks = objects.filter((o) => o.kind === 'MutatingWebhookConfiguration');
  const getOrUndefined = async <T>(api: KubeApi, path: string): Promise<T | undefined> => {
    try {
      return await api.get<T>(path);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return [
    ...(crds.length ? [{
      name: 'CRDs established',
      check: async (api: KubeApi) => crdsEstablished(new Map(await Promise.all(crds.map(async (c) => [c.metadata.name, await getOrUndefined<ObjectLike>(api, objectPath(c))] as const)))),
    }] : []),
    ...deployments.map((d) => ({ name: `${describeObject(d)} available`, check: async (api: KubeApi) => deploymentAvailable(await getOrUndefined<ObjectLike>(api, objectPath(d))) })),
    ...daemonSets.map((d) => ({ name: `${describeObject(d)} ready`, check: async (api: KubeApi) => daemonSetReady(await getOrUndefined<ObjectLike>(api, objectPath(d))) })),
    ...webhooks.map((w) => ({
      name: `caBundle of ${describeObject(w)} set by the control plane`,
      check: async (api: KubeApi) => webhookCaBundleSet(await getOrUndefined<{ webhooks?: { name: string; clientConfig?: { caBundle?: string } }[] }>(api, objectPath(w))),
    })),
  ];
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Applies every object in order, then waits for readiness; returns what happened to each object. */
export async function install(api: KubeApi, options: InstallOptions, io: InstallIo): Promise<Record<ApplyOutcome, number>> {
  const counts: Record<ApplyOutcome, number> = { created: 0, configured: 0, unchanged: 0 };
  io.line(`Applying ${options.objects.length} objects (server-side apply, field manager "${FieldManager}"):`);
  for (const obj of options.objects) {
    const outcome = await applyObject(api, obj);
    counts[outcome]++;
    io.line(`  ${describeObject(obj)} ${outcome}`);
  }
  if (options.wait === false) return counts;
  const deadline = io.now() + options.timeoutMs;
  io.line(`Waiting for Skein to be ready (timeout ${formatAge(options.timeoutMs)}):`);
  for (const step of readinessSteps(options.objects)) {
    let last = '';
    for (;;) {
      const progress = await step.check(api);
      if (progress.ok) {
        io.line(`  ✓ ${step.name} (${progress.detail})`);
        break;
      }
      if (progress.detail !== last) io.line(`  … ${step.name}: ${progress.detail}`);
      last = progress.detail;
      if (io.now() >= deadline) throw new TimeoutError(`timed out after ${formatAge(options.timeoutMs)} waiting for: ${step.name} (${progress.detail}); see \`skein check\``);
      await io.sleep(options.pollMs ?? 1000);
    }
  }
  return counts;
}

export function installSummary(version: string, counts: Record<ApplyOutcome, number>): string {
  const total = counts.created + counts.configured + counts.unchanged;
  if (counts.created === 0 && counts.configured === 0) return `✓ Skein ${version} is installed; nothing changed (${total} objects unchanged).`;
  const parts = (['created', 'configured', 'unchanged'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return `✓ Skein ${version} installed: ${parts.join(', ')}.`;
}

// ---- uninstall ----------------------------------------------------------------------------------

export interface UninstallOptions {
  objects: readonly ManifestObject[];
  /** Also CRDs (and so every Skein custom resource), the namespace with the CA, and the root-cert ConfigMaps. */
  purge: boolean;
}

/** Kinds that stay without --purge: the policy API (users' objects) and the namespace holding the CA Secret. */
const keptWithoutPurge = new Set(['CustomResourceDefinition', 'Namespace']);

/**
 * Deletes what install created, webhook configuration first (so no pod creation waits on a webhook
 * that is going away) and the namespace last. Without purge, says what stays and why.
 */
export async function uninstall(api: KubeApi, options: UninstallOptions, io: Pick<InstallIo, 'line'>): Promise<{ deleted: number; absent: number }> {
  const rank = (o: ManifestObject) => (o.kind === 'MutatingWebhookConfiguration' ? 0 : o.kind === 'Namespace' ? 3 : o.kind === 'CustomResourceDefinition' ? 2 : 1);
  const targets = options.objects.filter((o) => options.purge || !keptWithoutPurge.has(o.kind)).sort((a, b) => rank(a) - rank(b));
  let deleted = 0;
  let absent = 0;
  const remove = async (what: string, path: string) => {
    try {
      await api.delete(path);
      deleted++;
      io.line(`  ${what} deleted`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      absent++;
      io.line(`  ${what} not found (already gone)`);
    }
  };
  io.line(`Deleting ${targets.length} objects${options.purge ? ' (--purge: CRDs with every Skein resource, the CA namespace, root-cert ConfigMaps)' : ''}:`);
  if (options.purge) {
    // The trust bundle copies in meshed namespaces (no Skein label: found by name).
    const namespaces = await api.list<{ items: { metadata: { name: string } }[] }>(resourcePath(NamespaceResource));
    for (const ns of namespaces.items) {
      const path = resourcePath(ConfigMapResource, ns.metadata.name, RootCertConfigMap);
      try {
        await api.get(path);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      await remove(`ConfigMap ${ns.metadata.name}/${RootCertConfigMap}`, path);
    }
  }
  for (const obj of targets) await remove(describeObject(obj), objectPath(obj));
  return { deleted, absent };
}

/** What stays after an uninstall without --purge, for the closing lines. */
export async function keptAfterUninstall(api: KubeApi, objects: readonly ManifestObject[]): Promise<string[]> {
  const lines: string[] = [];
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = crd.spec ?? {};
    const version = spec.versions?.[0]?.name;
    if (!spec.group || !spec.names?.plural || !version) continue;
    let count = 0;
    try {
      count = (await api.list<{ items: unknown[] }>(`/apis/${spec.group}/${version}/${spec.names.plural}`)).items.length;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    lines.push(`CustomResourceDefinition ${crd.metadata.name} (${count} object${count === 1 ? '' : 's'})`);
  }
  for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
    lines.push(`Namespace ${ns.metadata.name} with the CA Secret (the mesh's root of trust: a reinstall reuses it, sidecars keep trusting each other)`);
  }
  lines.push(`ConfigMaps ${RootCertConfigMap} in meshed namespaces; namespace labels ${Labels.inject}; sidecars in running pods until they restart`);
  return lines;
}
