/**
 * Least-privilege RBAC for the control plane, as data (ApiObject): every rule names its reason.
 * resourceNames pin what the control plane may change to Skein's own objects; `create` cannot be
 * restricted by name in Kubernetes, so it is granted separately where needed.
 */
import { ApiObject } from 'cdk8s';
import { type Construct } from 'constructs';
import { Kinds, SkeinKinds } from '../../api/src/crd';
import { RootCertConfigMap } from '../../api/src/names';

export interface RbacNames {
  serviceAccount: string;
  namespace: string;
  name: string;
  webhookConfiguration: string;
  lease: string;
  caSecrets: string[];
}

const skeinByGroup = (): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (const k of SkeinKinds) out.set(Kinds[k].group, [...(out.get(Kinds[k].group) ?? []), Kinds[k].plural]);
  return out;
};

export function clusterRules(n: RbacNames) {
  const watch = ['get', 'list', 'watch'];
  const groups = skeinByGroup();
  return [
    // The mesh model (informers); pods also for the TokenReview pod-liveness check.
    { apiGroups: [''], resources: ['namespaces', 'services', 'pods', 'serviceaccounts'], verbs: watch },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: watch },
    ...[...groups].map(([group, plurals]) => ({ apiGroups: [group], resources: plurals, verbs: watch })),
    // Status conditions, through the status subresource only.
    ...[...groups].map(([group, plurals]) => ({ apiGroups: [group], resources: plurals.map((p) => `${p}/status`), verbs: ['update', 'patch'] })),
    // The CA authenticates workloads by their projected tokens.
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    // The trust bundle in meshed namespaces.
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: [RootCertConfigMap], verbs: ['get', 'update', 'patch'] },
    // The webhook's caBundle.
    { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [n.webhookConfiguration], verbs: ['get', 'patch'] },
  ];
}

export function namespaceRules(n: RbacNames) {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [n.lease], verbs: ['get', 'update'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: n.caSecrets, verbs: ['get'] },
  ];
}

/** A role and the binding that grants it to the control plane's service account. */
function addRoleAndBinding(scope: Construct, kind: 'ClusterRole' | 'Role', rules: unknown[], n: RbacNames, labels: Record<string, string>): void {
  const prefix = kind === 'ClusterRole' ? 'cluster-role' : 'role';
  new ApiObject(scope, prefix, { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name: n.name, labels }, rules });
  new ApiObject(scope, `${prefix}-binding`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: `${kind}Binding`, metadata: { name: n.name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: n.name },
    subjects: [{ kind: 'ServiceAccount', name: n.serviceAccount, namespace: n.namespace }],
  });
}

export function addClusterRbac(scope: Construct, n: RbacNames, labels: Record<string, string>): void {
  addRoleAndBinding(scope, 'ClusterRole', clusterRules(n), n, labels);
}

export function addNamespaceRbac(scope: Construct, n: RbacNames, labels: Record<string, string>): void {
  addRoleAndBinding(scope, 'Role', namespaceRules(n), n, labels);
}
