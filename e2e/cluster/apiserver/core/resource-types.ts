/**
 * The resource types the simulated API server serves: the built-in ones the mesh, kubectl-like
 * clients, the simulated node and the journeys touch, with the per-type behaviour of their
 * registry strategies (status subresource, generation tracking, create-on-update, the default
 * deletion propagation, supported field selectors). Custom resources are added from CRDs
 * (registry.ts). Pure data.
 */
import { builtinShape, type Shape } from './shapes';
import { type Schema } from './openapi-schema';

export interface ResourceType {
  group: string;
  version: string;
  /** `pods`: the REST name. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served (`status`, `scale`, `binding`, `token`, `proxy`, `eviction`, `finalize`). */
  subresources: string[];
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fieldSelectors: string[];
  /** metadata.generation follows spec changes. */
  generation: boolean;
  /** The main resource ignores status; /status changes only status. */
  statusSubresource: boolean;
  /** PUT of a missing object creates it (leases, endpoints, RBAC objects…). */
  createOnUpdate: boolean;
  /** PUT without metadata.resourceVersion is allowed (false for custom resources). */
  unconditionalUpdate: boolean;
  /** What DELETE without propagationPolicy does to dependents. */
  defaultPropagation: 'Background' | 'Orphan';
  /** Strategic merge patch is served (built-in kinds only). */
  strategicMerge: boolean;
  /** Only POST, answered without storing (TokenReview, SubjectAccessReview…). */
  virtual?: boolean;
  shape: Shape;
  /** Custom resources: the version's schema. */
  schema?: Schema;
  /** Custom resources: the CRD's name. */
  crd?: string;
}

export const groupVersion = (t: Pick<ResourceType, 'group' | 'version'>): string => (t.group ? `${t.group}/${t.version}` : t.version);
export const typeKey = (t: Pick<ResourceType, 'group' | 'version' | 'plural'>): string => `${groupVersion(t)}/${t.plural}`;
/** Where objects of a type are stored: one place for every version of a group's resource (`pods`, `apps/deployments`). */
export const storageKey = (t: Pick<ResourceType, 'group' | 'plural'>): string => (t.group ? `${t.group}/${t.plural}` : t.plural);

const rw = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Spec {
  gv: string;
  plural: string;
  kind: string;
  namespaced?: boolean;
  short?: string[];
  sub?: string[];
  fields?: string[];
  generation?: boolean;
  createOnUpdate?: boolean;
  orphan?: boolean;
  virtual?: boolean;
  categories?: string[];
}

function builtin(s: Spec): ResourceType {
  const [group, version] = s.gv.includes('/') ? (s.gv.split('/') as [string, string]) : ['', s.gv];
  return {
    group, version, plural: s.plural, singular: s.kind.toLowerCase(), kind: s.kind, namespaced: s.namespaced ?? true,
    ...(s.short ? { shortNames: s.short } : {}), ...(s.categories ? { categories: s.categories } : {}),
    verbs: s.virtual ? ['create'] : rw, subresources: s.sub ?? [], fieldSelectors: s.fields ?? [],
    generation: s.generation ?? false, statusSubresource: (s.sub ?? []).includes('status'), createOnUpdate: s.createOnUpdate ?? false,
    unconditionalUpdate: true, defaultPropagation: s.orphan ? 'Orphan' : 'Background', strategicMerge: true,
    ...(s.virtual ? { virtual: true } : {}), shape: builtinShape(group, s.kind),
  };
}

const podFields = ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'];

export const builtinTypes: readonly ResourceType[] = [
  builtin({ gv: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, short: ['ns'], sub: ['status', 'finalize'], fields: ['status.phase'] }),
  builtin({ gv: 'v1', plural: 'pods', kind: 'Pod', short: ['po'], sub: ['status', 'binding', 'proxy', 'eviction'], fields: podFields, categories: ['all'] }),
  builtin({ gv: 'v1', plural: 'services', kind: 'Service', short: ['svc'], sub: ['status', 'proxy'], categories: ['all'] }),
  builtin({ gv: 'v1', plural: 'endpoints', kind: 'Endpoints', short: ['ep'], createOnUpdate: true }),
  builtin({ gv: 'v1', plural: 'configmaps', kind: 'ConfigMap', short: ['cm'] }),
  builtin({ gv: 'v1', plural: 'secrets', kind: 'Secret', fields: ['type'] }),
  builtin({ gv: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', short: ['sa'], sub: ['token'] }),
  builtin({ gv: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, short: ['no'], sub: ['status', 'proxy'], fields: ['spec.unschedulable'] }),
  builtin({ gv: 'v1', plural: 'events', kind: 'Event', short: ['ev'], createOnUpdate: true, fields: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'] }),
  builtin({ gv: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', short: ['pvc'], sub: ['status'] }),
  builtin({ gv: 'v1', plural: 'limitranges', kind: 'LimitRange', short: ['limits'] }),
  builtin({ gv: 'v1', plural: 'resourcequotas', kind: 'ResourceQuota', short: ['quota'], sub: ['status'] }),
  builtin({ gv: 'apps/v1', plural: 'deployments', kind: 'Deployment', short: ['deploy'], sub: ['status', 'scale'], generation: true, categories: ['all'] }),
  builtin({ gv: 'apps/v1', plural: 'replicasets', kind: 'ReplicaSet', short: ['rs'], sub: ['status', 'scale'], generation: true, fields: ['status.replicas'], categories: ['all'] }),
  builtin({ gv: 'apps/v1', plural: 'statefulsets', kind: 'StatefulSet', short: ['sts'], sub: ['status', 'scale'], generation: true, categories: ['all'] }),
  builtin({ gv: 'apps/v1', plural: 'daemonsets', kind: 'DaemonSet', short: ['ds'], sub: ['status'], generation: true, categories: ['all'] }),
  builtin({ gv: 'apps/v1', plural: 'controllerrevisions', kind: 'ControllerRevision' }),
  builtin({ gv: 'batch/v1', plural: 'jobs', kind: 'Job', sub: ['status'], generation: true, orphan: true, fields: ['status.successful'], categories: ['all'] }),
  builtin({ gv: 'batch/v1', plural: 'cronjobs', kind: 'CronJob', short: ['cj'], sub: ['status'], generation: true, categories: ['all'] }),
  builtin({ gv: 'discovery.k8s.io/v1', plural: 'endpointslices', kind: 'EndpointSlice', generation: true }),
  builtin({ gv: 'coordination.k8s.io/v1', plural: 'leases', kind: 'Lease', createOnUpdate: true }),
  builtin({ gv: 'policy/v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', short: ['pdb'], sub: ['status'], generation: true }),
  builtin({ gv: 'networking.k8s.io/v1', plural: 'networkpolicies', kind: 'NetworkPolicy', short: ['netpol'], generation: true }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false, createOnUpdate: true }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, createOnUpdate: true }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', plural: 'roles', kind: 'Role', createOnUpdate: true }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings', kind: 'RoleBinding', createOnUpdate: true }),
  builtin({ gv: 'admissionregistration.k8s.io/v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false, generation: true }),
  builtin({ gv: 'admissionregistration.k8s.io/v1', plural: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false, generation: true }),
  builtin({ gv: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, short: ['crd', 'crds'], sub: ['status'], generation: true }),
  builtin({ gv: 'scheduling.k8s.io/v1', plural: 'priorityclasses', kind: 'PriorityClass', namespaced: false, short: ['pc'] }),
  builtin({ gv: 'authentication.k8s.io/v1', plural: 'tokenreviews', kind: 'TokenReview', namespaced: false, virtual: true }),
  builtin({ gv: 'authentication.k8s.io/v1', plural: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, virtual: true }),
  builtin({ gv: 'authorization.k8s.io/v1', plural: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, virtual: true }),
  builtin({ gv: 'authorization.k8s.io/v1', plural: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, virtual: true }),
  builtin({ gv: 'authorization.k8s.io/v1', plural: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', virtual: true }),
];

/** Verbs of a subresource as discovery lists them. */
export const subresourceVerbs: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  token: ['create'],
  eviction: ['create'],
  finalize: ['update'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
};

/** The kind a subresource answers with (`pods/binding` → Binding). */
export function subresourceKind(t: ResourceType, sub: string): { kind: string; group?: string; version?: string } {
  switch (sub) {
    case 'scale': return { kind: 'Scale', group: 'autoscaling', version: 'v1' };
    case 'binding': return { kind: 'Binding' };
    case 'token': return { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' };
    case 'eviction': return { kind: 'Eviction', group: 'policy', version: 'v1' };
    case 'proxy': return { kind: `${t.kind}ProxyOptions` };
    default: return { kind: t.kind };
  }
}
