/**
 * RBAC authorization over the stored Roles/ClusterRoles and their bindings, as the RBAC authorizer
 * evaluates them (plugin/pkg/auth/authorizer/rbac): subjects (User, Group, ServiceAccount), rules
 * (apiGroups, resources incl. `res/sub` and `*\/sub`, verbs, resourceNames, nonResourceURLs),
 * RoleBindings only in their namespace. system:masters may do anything; every authenticated user
 * may read discovery and review itself (the bootstrap system:discovery and system:basic-user
 * roles). Aggregated ClusterRoles are not expanded. Pure.
 */

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface RoleLike {
  metadata: { name?: string; namespace?: string };
  rules?: PolicyRule[];
}

export interface BindingLike {
  metadata: { name?: string; namespace?: string };
  roleRef?: { kind?: string; name?: string };
  subjects?: Subject[];
}

export interface Attributes {
  user: UserInfo;
  verb: string;
  isResource: boolean;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  namespace?: string;
  path?: string;
}

export interface Policy {
  clusterRoles: readonly RoleLike[];
  clusterRoleBindings: readonly BindingLike[];
  roles: readonly RoleLike[];
  roleBindings: readonly BindingLike[];
}

const discoveryPaths = ['/api', '/api/*', '/apis', '/apis/*', '/version', '/version/', '/healthz', '/livez', '/readyz', '/openapi/*', '/.well-known/openid-configuration', '/openid/v1/jwks'];
const selfReviews = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews']);

function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User': return s.name === user.username;
    case 'Group': return user.groups.includes(s.name);
    case 'ServiceAccount': return user.username === `system:serviceaccount:${s.namespace ?? bindingNamespace ?? ''}:${s.name}`;
    default: return false;
  }
}

function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  const verbs = rule.verbs ?? [];
  if (!verbs.includes('*') && !verbs.includes(a.verb)) return false;
  if (!a.isResource) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && (a.path ?? '').startsWith(u.slice(0, -1))));
  }
  const groups = rule.apiGroups ?? [];
  if (!groups.includes('*') && !groups.includes(a.apiGroup ?? '')) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
  const resourceOk = (rule.resources ?? []).some((r) => r === '*' || r === combined || (a.subresource !== undefined && r === `*/${a.subresource}`));
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

export function authorize(a: Attributes, policy: Policy): Decision {
  if (a.user.groups.includes('system:masters')) return { allowed: true };
  if (a.user.groups.includes('system:authenticated')) {
    if (!a.isResource && a.verb === 'get' && discoveryPaths.some((p) => p === a.path || (p.endsWith('*') && (a.path ?? '').startsWith(p.slice(0, -1))))) return { allowed: true };
    if (a.isResource && a.verb === 'create' && a.apiGroup?.endsWith('.k8s.io') && selfReviews.has(a.resource ?? '')) return { allowed: true };
  }
  const clusterRole = (name: string | undefined) => policy.clusterRoles.find((r) => r.metadata.name === name);
  for (const b of policy.clusterRoleBindings) {
    if (b.roleRef?.kind !== 'ClusterRole' || !(b.subjects ?? []).some((s) => subjectMatches(s, a.user, undefined))) continue;
    if ((clusterRole(b.roleRef.name)?.rules ?? []).some((r) => ruleAllows(r, a))) return { allowed: true };
  }
  if (a.namespace !== undefined) {
    for (const b of policy.roleBindings) {
      if (b.metadata.namespace !== a.namespace || !(b.subjects ?? []).some((s) => subjectMatches(s, a.user, b.metadata.namespace))) continue;
      const role = b.roleRef?.kind === 'Role'
        ? policy.roles.find((r) => r.metadata.namespace === a.namespace && r.metadata.name === b.roleRef?.name)
        : b.roleRef?.kind === 'ClusterRole' ? clusterRole(b.roleRef.name) : undefined;
      if ((role?.rules ?? []).some((r) => ruleAllows(r, a))) return { allowed: true };
    }
  }
  return { allowed: false, reason: forbiddenReason(a) };
}

/** The authorizer's words: `User "u" cannot list resource "pods" in API group "" in the namespace "shop"`. */
export function forbiddenReason(a: Attributes): string {
  if (!a.isResource) return `User "${a.user.username}" cannot ${a.verb} path "${a.path ?? ''}"`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup ?? ''}" ${scope}`;
}
