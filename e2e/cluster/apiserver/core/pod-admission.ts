/**
 * The built-in mutating admission plugins a pod passes before the webhooks (plugin/pkg/admission):
 * ServiceAccount (default `serviceAccountName: default`, the service account must exist, the
 * projected `kube-api-access-xxxxx` volume — token, kube-root-ca.crt, namespace — mounted at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container unless automount is off),
 * Priority (priority 0, PreemptLowerPriority) and DefaultTolerationSeconds (not-ready/unreachable
 * NoExecute for 300 s). Also the status a new pod starts with (Pending, its QoS class). Pure.
 */
import { isObject, type JsonObject, type KubeObject } from './json';

export const ServiceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
export const RootCaConfigMap = 'kube-root-ca.crt';
const tokenExpirationSeconds = 3607;

const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** `kube-api-access-` + 5 characters of the apiserver's name alphabet. */
export function apiAccessVolumeName(random: () => number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return `kube-api-access-${s}`;
}

export type ServiceAccountOutcome = { ok: true } | { ok: false; message: string };

/**
 * Applies the ServiceAccount plugin to `pod`. `serviceAccount` is the pod's service account as
 * found (undefined: missing). Mutates the pod.
 */
export function admitServiceAccount(pod: KubeObject, serviceAccount: Readonly<KubeObject> | undefined, random: () => number): ServiceAccountOutcome {
  const spec = (pod.spec ??= {}) as JsonObject;
  if (!spec.serviceAccountName) spec.serviceAccountName = typeof spec.serviceAccount === 'string' && spec.serviceAccount ? spec.serviceAccount : 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const ns = pod.metadata.namespace ?? '';
  if (!serviceAccount) return { ok: false, message: `error looking up service account ${ns}/${String(spec.serviceAccountName)}: serviceaccount "${String(spec.serviceAccountName)}" not found` };
  const automount = spec.automountServiceAccountToken ?? (serviceAccount as { automountServiceAccountToken?: boolean }).automountServiceAccountToken ?? true;
  if (automount === false) return { ok: true };
  const containers = [...list(spec.initContainers), ...list(spec.containers)];
  const existing = list(spec.volumes).find((v) => typeof v.name === 'string' && v.name.startsWith('kube-api-access-'));
  const alreadyMounted = (c: JsonObject) => list(c.volumeMounts).some((m) => m.mountPath === ServiceAccountMountPath);
  if (!existing && containers.every(alreadyMounted)) return { ok: true };
  const name = typeof existing?.name === 'string' ? existing.name : apiAccessVolumeName(random);
  if (!existing) {
    spec.volumes = [...list(spec.volumes), {
      name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: tokenExpirationSeconds, path: 'token' } },
          { configMap: { name: RootCaConfigMap, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    }];
  }
  for (const c of containers) {
    if (!alreadyMounted(c)) c.volumeMounts = [...list(c.volumeMounts), { name, readOnly: true, mountPath: ServiceAccountMountPath }];
  }
  return { ok: true };
}

/** Priority and DefaultTolerationSeconds. */
export function admitSchedulingDefaults(pod: KubeObject): void {
  const spec = (pod.spec ??= {}) as JsonObject;
  if (spec.priority === undefined) spec.priority = 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tolerations = list(spec.tolerations);
  const has = (key: string) => tolerations.some((t) => (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute'));
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!has(key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/** qosClass from the containers' requests and limits (Guaranteed, Burstable, BestEffort). */
export function qosClass(spec: JsonObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...list(spec.initContainers), ...list(spec.containers)];
  const res = containers.map((c) => (isObject(c.resources) ? c.resources : {}));
  const any = res.some((r) => Object.keys(isObject(r.requests) ? r.requests : {}).length || Object.keys(isObject(r.limits) ? r.limits : {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = res.every((r) => {
    const limits = (isObject(r.limits) ? r.limits : {}) as Record<string, unknown>;
    const requests = (isObject(r.requests) ? r.requests : {}) as Record<string, unknown>;
    return ['cpu', 'memory'].every((k) => limits[k] !== undefined && (requests[k] === undefined || requests[k] === limits[k]));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function initialPodStatus(spec: JsonObject): JsonObject {
  return { phase: 'Pending', qosClass: qosClass(spec) };
}
