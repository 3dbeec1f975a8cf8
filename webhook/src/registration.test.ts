/**
 * The webhook registration must send the API server's pods to the webhook exactly when decide()
 * would inject them (apart from what only the webhook can see: hostNetwork, status annotation).
 */
import { decide } from './core/decide';
import { type Labels } from './core/types';
import { mutatingWebhooks, neverInjectedNamespaces } from './registration';
import { testConfig } from './testing';

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

/** Kubernetes label-selector semantics for matchExpressions. */
function matches(selector: { matchExpressions: Requirement[] }, labels: Labels): boolean {
  return selector.matchExpressions.every(({ key, operator, values = [] }) => {
    const value = labels[key];
    switch (operator) {
      case 'In': return value !== undefined && values.includes(value);
      case 'NotIn': return value === undefined || !values.includes(value);
      case 'Exists': return value !== undefined;
      case 'DoesNotExist': return value === undefined;
      default: throw new Error(`unknown operator ${operator}`);
    }
  });
}

const webhooks = mutatingWebhooks({ caBundle: 'Q0E=' });

describe('mutatingWebhooks', () => {
  it('follows the failure-policy guidance', () => {
    for (const w of webhooks) {
      expect(w).toMatchObject({
        failurePolicy: 'Fail',
        sideEffects: 'None',
        timeoutSeconds: 10,
        reinvocationPolicy: 'IfNeeded',
        admissionReviewVersions: ['v1'],
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        clientConfig: { service: { name: 'skein-controlplane', namespace: 'skein-system', path: '/inject', port: 443 }, caBundle: 'Q0E=' },
      });
    }
    expect(webhooks.map((w) => w.name)).toEqual(['namespace.inject.skein.dev', 'object.inject.skein.dev']);
  });

  const namespaceLabels: [string, Labels][] = [
    ['shop', { 'skein.dev/inject': 'enabled' }],
    ['quiet', { 'skein.dev/inject': 'disabled' }],
    ['plain', {}],
    ['odd', { 'skein.dev/inject': 'yes' }],
    ...neverInjectedNamespaces.map((ns): [string, Labels] => [ns, { 'skein.dev/inject': 'enabled' }]),
  ];
  const podLabels: Labels[] = [{}, { 'skein.dev/inject': 'true' }, { 'skein.dev/inject': 'false' }, { app: 'x' }];
  const cases = namespaceLabels.flatMap(([ns, nsl]) => podLabels.map((pl) => [ns, nsl, pl] as const));

  it.each(cases)('namespace %s %j, pod %j: selected ⇔ injected', (ns, nsl, pl) => {
    // The API server adds kubernetes.io/metadata.name to every namespace.
    const nsWithName = { ...nsl, 'kubernetes.io/metadata.name': ns };
    const selected = webhooks.filter((w) => matches(w.namespaceSelector, nsWithName) && matches(w.objectSelector, pl));
    expect(selected.length).toBeLessThanOrEqual(1);
    const decision = decide({ metadata: { labels: pl }, spec: { containers: [] } }, { name: ns, labels: nsl }, testConfig());
    expect(selected.length === 1).toBe(decision.inject);
  });
});
