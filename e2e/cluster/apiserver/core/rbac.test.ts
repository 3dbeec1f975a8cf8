import { type Attributes, authorize, type Policy } from './rbac';

const sa = { username: 'system:serviceaccount:skein-system:skein-controlplane', groups: ['system:serviceaccounts', 'system:serviceaccounts:skein-system', 'system:authenticated'] };
const policy: Policy = {
  clusterRoles: [
    { metadata: { name: 'cp' }, rules: [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }, { apiGroups: ['networking.skein.dev'], resources: ['virtualservices/status'], verbs: ['patch'] }, { apiGroups: [''], resources: ['configmaps'], resourceNames: ['skein-root-cert'], verbs: ['get', 'update'] }] },
    { metadata: { name: 'reader' }, rules: [{ apiGroups: ['*'], resources: ['*/status'], verbs: ['get'] }] },
  ],
  clusterRoleBindings: [{ metadata: { name: 'cp' }, roleRef: { kind: 'ClusterRole', name: 'cp' }, subjects: [{ kind: 'ServiceAccount', name: 'skein-controlplane', namespace: 'skein-system' }] }],
  roles: [{ metadata: { name: 'leases', namespace: 'skein-system' }, rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] }] }],
  roleBindings: [
    { metadata: { name: 'leases', namespace: 'skein-system' }, roleRef: { kind: 'Role', name: 'leases' }, subjects: [{ kind: 'ServiceAccount', name: 'skein-controlplane' }] },
    { metadata: { name: 'status', namespace: 'shop' }, roleRef: { kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'Group', name: 'auditors' }] },
  ],
};

const a = (over: Partial<Attributes>): Attributes => ({ user: sa, verb: 'get', isResource: true, apiGroup: '', resource: 'pods', ...over });

describe('RBAC authorization', () => {
  it.each([
    ['list pods cluster-wide via ClusterRoleBinding', a({ verb: 'list' }), true],
    ['delete pods is not granted', a({ verb: 'delete', namespace: 'shop', name: 'p' }), false],
    ['status subresource by its combined name', a({ verb: 'patch', apiGroup: 'networking.skein.dev', resource: 'virtualservices', subresource: 'status', namespace: 'shop', name: 'r' }), true],
    ['the main resource is not the subresource', a({ verb: 'patch', apiGroup: 'networking.skein.dev', resource: 'virtualservices', namespace: 'shop', name: 'r' }), false],
    ['resourceNames allow the named object', a({ resource: 'configmaps', namespace: 'shop', name: 'skein-root-cert' }), true],
    ['resourceNames refuse another name', a({ resource: 'configmaps', namespace: 'shop', name: 'other' }), false],
    ['resourceNames refuse list', a({ verb: 'list', resource: 'configmaps', namespace: 'shop' }), false],
    ['a Role binds only in its namespace', a({ verb: 'create', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'skein-system' }), true],
    ['…not in another one', a({ verb: 'create', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'shop' }), false],
    ['a group bound to */status in one namespace', a({ user: { username: 'bob', groups: ['auditors', 'system:authenticated'] }, apiGroup: 'apps', resource: 'deployments', subresource: 'status', namespace: 'shop', name: 'd' }), true],
    ['system:masters may do anything', a({ user: { username: 'root', groups: ['system:masters'] }, verb: 'delete', resource: 'nodes' }), true],
    ['any authenticated user reads discovery', { user: { username: 'x', groups: ['system:authenticated'] }, verb: 'get', isResource: false, path: '/apis/apps/v1' }, true],
    ['…but not other paths', { user: { username: 'x', groups: ['system:authenticated'] }, verb: 'get', isResource: false, path: '/metrics' }, false],
  ])('%s', (_what, attributes, allowed) => {
    expect(authorize(attributes as Attributes, policy).allowed).toBe(allowed);
  });

  it('says who cannot do what, where', () => {
    expect(authorize(a({ verb: 'delete', namespace: 'shop', name: 'p' }), policy)).toEqual({ allowed: false, reason: 'User "system:serviceaccount:skein-system:skein-controlplane" cannot delete resource "pods" in API group "" in the namespace "shop"' });
    expect(authorize(a({ verb: 'list', resource: 'secrets' }), policy)).toEqual({ allowed: false, reason: 'User "system:serviceaccount:skein-system:skein-controlplane" cannot list resource "secrets" in API group "" at the cluster scope' });
  });
});
