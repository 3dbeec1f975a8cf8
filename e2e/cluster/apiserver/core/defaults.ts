/**
 * Scheme defaulting of the built-in kinds (k8s.io/kubernetes/pkg/apis/<group>/v1/defaults.go), the part
 * the mesh, its webhook and the simulated node depend on: pod and container defaults (also inside
 * Deployment/ReplicaSet/Job templates), probes, volumes, Services, Deployments, Jobs, webhook
 * configurations. Mutates the object given. Pure.
 */
import { isObject, type JsonObject, type KubeObject } from './json';

type Obj = JsonObject;
const asObj = (v: unknown): Obj | undefined => (isObject(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);

function defaultProbe(p: unknown): void {
  const probe = asObj(p);
  if (!probe) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  defaultHandler(probe);
}

function defaultHandler(h: Obj): void {
  const get = asObj(h.httpGet);
  if (get) {
    if (!get.path) get.path = '/';
    get.scheme ??= 'HTTP';
  }
}

/** `:latest` or no tag (and no digest) → Always, otherwise IfNotPresent. */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.split('/').at(-1) ?? '';
  const tag = last.includes(':') ? last.split(':').at(-1) : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Obj): void {
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const port of list(c.ports)) port.protocol ??= 'TCP';
  for (const env of list(c.env)) {
    const fieldRef = asObj(asObj(env.valueFrom)?.fieldRef);
    if (fieldRef) fieldRef.apiVersion ??= 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = asObj(c.lifecycle);
  if (lifecycle) for (const k of ['postStart', 'preStop']) if (asObj(lifecycle[k])) defaultHandler(lifecycle[k] as Obj);
}

const volumeSources = ['hostPath', 'emptyDir', 'secret', 'configMap', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'csi', 'ephemeral', 'nfs', 'image'];

function defaultVolume(v: Obj): void {
  if (!volumeSources.some((s) => v[s] !== undefined)) v.emptyDir = {};
  for (const s of ['secret', 'configMap', 'projected', 'downwardAPI']) {
    const src = asObj(v[s]);
    if (src) src.defaultMode ??= 420;
  }
  for (const item of [...list(asObj(v.downwardAPI)?.items), ...list(asObj(v.projected)?.sources).flatMap((s) => list(asObj(s.downwardAPI)?.items))]) {
    const fieldRef = asObj(item.fieldRef);
    if (fieldRef) fieldRef.apiVersion ??= 'v1';
  }
  const hostPath = asObj(v.hostPath);
  if (hostPath) hostPath.type ??= '';
}

export function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const c of [...list(spec.initContainers), ...list(spec.containers)]) defaultContainer(c);
  for (const v of list(spec.volumes)) defaultVolume(v);
}

function defaultTemplate(template: unknown): void {
  const t = asObj(template);
  if (!t) return;
  t.metadata ??= {};
  const spec = asObj(t.spec);
  if (spec) defaultPodSpec(spec);
}

const intOrPercent = (v: unknown, fallback: string) => (v === undefined ? fallback : v);

export function applyBuiltinDefaults(group: string, obj: KubeObject): void {
  const spec = asObj(obj.spec);
  switch (`${group}/${obj.kind}`) {
    case '/Pod':
      if (spec) defaultPodSpec(spec);
      break;
    case '/Service':
      if (spec) {
        spec.type ??= 'ClusterIP';
        if (spec.type !== 'ExternalName') {
          spec.sessionAffinity ??= 'None';
          spec.internalTrafficPolicy ??= 'Cluster';
        }
        for (const p of list(spec.ports)) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
      }
      break;
    case 'apps/Deployment':
      if (spec) {
        spec.replicas ??= 1;
        const strategy = (spec.strategy = asObj(spec.strategy) ?? {});
        strategy.type ??= 'RollingUpdate';
        if (strategy.type === 'RollingUpdate') {
          const ru = (strategy.rollingUpdate = asObj(strategy.rollingUpdate) ?? {});
          ru.maxUnavailable = intOrPercent(ru.maxUnavailable, '25%');
          ru.maxSurge = intOrPercent(ru.maxSurge, '25%');
        }
        spec.revisionHistoryLimit ??= 10;
        spec.progressDeadlineSeconds ??= 600;
        defaultTemplate(spec.template);
      }
      break;
    case 'apps/ReplicaSet':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet':
      if (spec) {
        if (obj.kind !== 'DaemonSet') spec.replicas ??= 1;
        defaultTemplate(spec.template);
      }
      break;
    case 'batch/Job':
      if (spec) {
        if (spec.completions === undefined && spec.parallelism === undefined) {
          spec.completions = 1;
          spec.parallelism = 1;
        }
        spec.parallelism ??= 1;
        spec.backoffLimit ??= 6;
        spec.completionMode ??= 'NonIndexed';
        spec.suspend ??= false;
        spec.podReplacementPolicy ??= 'TerminatingOrFailed';
        defaultTemplate(spec.template);
      }
      break;
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration':
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration':
      for (const w of list(obj.webhooks)) {
        w.failurePolicy ??= 'Fail';
        w.matchPolicy ??= 'Equivalent';
        w.namespaceSelector ??= {};
        w.objectSelector ??= {};
        w.timeoutSeconds ??= 10;
        if (obj.kind === 'MutatingWebhookConfiguration') w.reinvocationPolicy ??= 'Never';
        for (const r of list(w.rules)) r.scope ??= '*';
        const service = asObj(asObj(w.clientConfig)?.service);
        if (service) service.port ??= 443;
      }
      break;
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      if (spec) {
        spec.conversion ??= { strategy: 'None' };
        const names = asObj(spec.names);
        if (names) {
          names.singular ??= typeof names.kind === 'string' ? names.kind.toLowerCase() : undefined;
          names.listKind ??= typeof names.kind === 'string' ? `${names.kind}List` : undefined;
        }
      }
      break;
    default:
      break;
  }
  if (spec) for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
}
