/**
 * The MutatingWebhookConfiguration entries for the injector, as data: manifests/ renders them, so
 * the selectors that decide which pods reach the webhook live next to the rules that decide
 * injection (core/decide.ts). Two entries, as Istio does:
 * - namespace.inject.skein.dev: namespaces labelled `skein.dev/inject=enabled`, pods not opted out;
 * - object.inject.skein.dev: pods labelled `skein.dev/inject=true` in namespaces labelled neither
 *   `enabled` nor `disabled` (a namespace labelled `disabled` wins over the pod).
 * Both exclude the system namespaces and Skein's own. failurePolicy Fail: a pod in a meshed
 * namespace must not start without its proxy (it would bypass mTLS and policy).
 */
import { ControlPlaneName, ControlPlanePorts, Labels, SystemNamespace } from '../../api/src/names';

/** Namespaces whose pods never reach the webhook (kube-system & co., and Skein's own). */
export const neverInjectedNamespaces: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', SystemNamespace];

export interface RegistrationOptions {
  /** Service in front of the webhook (port 443 → container port 15017). */
  serviceName?: string;
  serviceNamespace?: string;
  /** PEM of the CA that signed the serving certificate, base64-encoded as Kubernetes wants it. */
  caBundle?: string;
}

/** The HTTPS path the webhook answers on. */
export const injectPath = '/inject';
export const webhookServicePort = 443;
export const webhookTargetPort = ControlPlanePorts.webhook;

const notSystem = { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...neverInjectedNamespaces] };

export function mutatingWebhooks(options: RegistrationOptions = {}) {
  const clientConfig = {
    service: {
      name: options.serviceName ?? ControlPlaneName,
      namespace: options.serviceNamespace ?? SystemNamespace,
      path: injectPath,
      port: webhookServicePort,
    },
    ...(options.caBundle ? { caBundle: options.caBundle } : {}),
  };
  const common = {
    clientConfig,
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    reinvocationPolicy: 'IfNeeded',
    matchPolicy: 'Equivalent',
  };
  return [
    {
      name: 'namespace.inject.skein.dev',
      ...common,
      namespaceSelector: { matchExpressions: [{ key: Labels.inject, operator: 'In', values: ['enabled'] }, notSystem] },
      objectSelector: { matchExpressions: [{ key: Labels.inject, operator: 'NotIn', values: ['false'] }] },
    },
    {
      name: 'object.inject.skein.dev',
      ...common,
      namespaceSelector: { matchExpressions: [{ key: Labels.inject, operator: 'NotIn', values: ['enabled', 'disabled'] }, notSystem] },
      objectSelector: { matchExpressions: [{ key: Labels.inject, operator: 'In', values: ['true'] }] },
    },
  ];
}
