import { type AdmissionAttributes, denial, ReinvocationTracker, ruleMatches, verifyResponse, webhookMatches, webhookUrl } from './admission';

const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'CREATE', group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespace: 'shop', namespaced: true,
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'web' } } }, user: { username: 'u', groups: [] }, dryRun: false, ...over,
});

describe('webhook rules', () => {
  const podsCreate = { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' };
  it.each([
    [podsCreate, {}, true],
    [podsCreate, { operation: 'UPDATE' as const }, false],
    [podsCreate, { subresource: 'status' }, false],
    [{ ...podsCreate, resources: ['pods/status'] }, { subresource: 'status' }, true],
    [{ ...podsCreate, resources: ['*/status'] }, { subresource: 'status' }, true],
    [{ ...podsCreate, resources: ['*'] }, { subresource: 'status' }, false],
    [{ ...podsCreate, resources: ['*/*'] }, { subresource: 'binding' }, true],
    [{ ...podsCreate, scope: 'Cluster' }, {}, false],
    [{ ...podsCreate, apiGroups: ['apps'] }, {}, false],
    [{ ...podsCreate, operations: ['*'], apiGroups: ['*'], apiVersions: ['*'] }, { operation: 'DELETE' as const }, true],
  ])('%j on %j: %s', (rule, over, expected) => {
    expect(ruleMatches(rule, attrs(over))).toBe(expected);
  });
});

describe('namespaceSelector and objectSelector', () => {
  const hook = {
    name: 'h', rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'namespaces'] }],
    namespaceSelector: { matchExpressions: [{ key: 'skein.dev/inject', operator: 'In', values: ['enabled'] }] },
    objectSelector: { matchExpressions: [{ key: 'skein.dev/inject', operator: 'NotIn', values: ['false'] }] },
  };
  it('matches the namespace\'s labels and the object\'s labels', () => {
    expect(webhookMatches(hook, attrs(), { 'skein.dev/inject': 'enabled' })).toBe(true);
    expect(webhookMatches(hook, attrs(), {})).toBe(false);
    expect(webhookMatches(hook, attrs({ object: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { 'skein.dev/inject': 'false' } } } }), { 'skein.dev/inject': 'enabled' })).toBe(false);
  });
  it('matches a Namespace by its own labels, and ignores namespaceSelector for other cluster-scoped objects', () => {
    const ns = attrs({ resource: 'namespaces', kind: 'Namespace', namespace: undefined, namespaced: false, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'skein.dev/inject': 'enabled' } } } });
    expect(webhookMatches(hook, ns, undefined)).toBe(true);
    const clusterHook = { ...hook, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['nodes'] }], objectSelector: {} };
    expect(webhookMatches(clusterHook, attrs({ resource: 'nodes', kind: 'Node', namespace: undefined, namespaced: false }), undefined)).toBe(true);
  });
});

describe('the answer of a webhook', () => {
  const uid = 'u-1';
  it.each([
    [{ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', response: { uid, allowed: true } }, { invalid: 'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, Kind=AdmissionReview' }],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, { invalid: 'webhook response was absent' }],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'x', allowed: true } }, { invalid: 'expected response.uid="u-1", got "x"' }],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, patch: 'W10=' } }, { invalid: 'webhook returned response.patch but not response.patchType' }],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, patchType: 'Merge', patch: 'e30=' } }, { unsupportedPatchType: 'Merge' }],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from('[{"op":"add","path":"/a","value":1}]').toString('base64') } }, { allowed: true, patch: [{ op: 'add', path: '/a', value: 1 }] }],
  ])('%j → %j', (body, expected) => {
    expect(verifyResponse(uid, body)).toEqual(expected);
  });

  it('words a denial as the API server does', () => {
    expect(denial('h.example.com', { code: 403, message: 'no' }).status).toMatchObject({ code: 403, message: 'admission webhook "h.example.com" denied the request: no' });
    expect(denial('h.example.com', undefined).status).toMatchObject({ code: 500, message: 'admission webhook "h.example.com" denied the request without explanation' });
  });

  it('names the Service URL with the timeout, as errors show it', () => {
    expect(webhookUrl({ name: 'h', clientConfig: { service: { name: 'svc', namespace: 'ns', path: '/inject', port: 443 } }, timeoutSeconds: 10 })).toBe('https://svc.ns.svc:443/inject?timeout=10s');
    expect(webhookUrl({ name: 'h', clientConfig: { url: 'https://hooks.example.com/x' } })).toBe('https://hooks.example.com/x?timeout=10s');
  });
});

describe('reinvocation (reinvocationPolicy: IfNeeded)', () => {
  const ifNeeded = (name: string) => ({ name, reinvocationPolicy: 'IfNeeded' as const });
  it.each([
    ['a later change reinvokes the earlier IfNeeded ones', [['a', true, false], ['b', true, true]], ['a']],
    ['the one that changed is not called again for its own change', [['a', true, true]], []],
    ['Never webhooks are not reinvoked', [['a', false, false], ['b', true, true]], []],
    ['nothing changed, nothing reinvoked', [['a', true, false], ['b', true, false]], []],
  ])('%s', (_what, calls, expected) => {
    const t = new ReinvocationTracker();
    for (const [name, reinvocable, changed] of calls as [string, boolean, boolean][]) t.called(name, reinvocable ? ifNeeded(name) : { name }, changed);
    expect([...t.secondRound]).toEqual(expected);
  });
});
