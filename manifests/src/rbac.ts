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

export function addClusterRbac(scope: Construct, n: RbacNames, labels: Record<string, string>): void {
  new ApiObject(scope, 'cluster-role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: n.name, labels }, rules: clusterRules(n) });
  new ApiObject(scope, 'cluster-role-binding', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: n.name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: n.name },
    subjects: [{ kind: 'ServiceAccount', name: n.serviceAccount, namespace: n.namespace }],
  });
}

export function addNamespaceRbac(scope: Construct, n: RbacNames, labels: Record<string, string>): void {
  new ApiObject(scope, 'role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: n.name, labels }, rules: namespaceRules(n) });
  new ApiObject(scope, 'role-binding', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: n.name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: n.name },
    subjects: [{ kind: 'ServiceAccount', name: n.serviceAccount, namespace: n.namespace }],
  });
}
