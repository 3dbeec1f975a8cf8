/**
 * Whether a pod gets the sidecar. The rules follow Istio's injection policy:
 * - a pod opt-out (`skein.dev/inject: "false"` as label or annotation) always wins; so does Istio's
 *   `sidecar.istio.io/inject: "false"` unless the pod carries Skein's own key (api/src/opt-out.ts);
 * - a namespace labelled `skein.dev/inject=disabled` is never injected, even if the pod opts in
 *   ("if either is disabled, the pod is not injected");
 * - otherwise the namespace label `enabled` or the pod label `skein.dev/inject=true` injects;
 * - hostNetwork pods, already injected pods and system namespaces are never injected.
 * Every rule that matched is reported as a reason (log line, metric label, Kubernetes Event).
 */
import { Annotations, Containers, Labels as LabelNames } from '../../../api/src/names';
import { podOptOut } from '../../../api/src/opt-out';
import { type NamespaceInfo, type Pod } from './types';

export type ReasonCode =
  | 'NamespaceEnabled'
  | 'PodOptIn'
  | 'PodOptOut'
  | 'IstioOptOut'
  | 'NamespaceDisabled'
  | 'HostNetwork'
  | 'AlreadyInjected'
  | 'SystemNamespace'
  | 'NotEnabled';

export interface Reason {
  code: ReasonCode;
  message: string;
}

export interface Decision {
  inject: boolean;
  reasons: Reason[];
}

export interface DecideConfig {
  /** Namespaces never injected (kube-system, kube-public, kube-node-lease, skein-system). */
  excludedNamespaces: readonly string[];
}

/** The codes that can make `inject` true; any other code present makes it false. */
const enabling: ReadonlySet<ReasonCode> = new Set(['NamespaceEnabled', 'PodOptIn']);

export function isEnabling(code: ReasonCode): boolean {
  return enabling.has(code);
}

/**
 * A status annotation without the proxy (e.g. copied from `kubectl get pod -o yaml` of an injected
 * pod and stripped of containers) does not count as injected: the pod would run unmeshed.
 */
function hasProxy(pod: Pod): boolean {
  return [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].some((c) => c.name === Containers.proxy);
}

export function decide(pod: Pod, namespace: NamespaceInfo, config: DecideConfig): Decision {
  const reasons: Reason[] = [];
  const add = (code: ReasonCode, message: string) => reasons.push({ code, message });
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const nsValue = namespace.labels?.[LabelNames.inject];

  if (annotations[Annotations.status] !== undefined && hasProxy(pod)) add('AlreadyInjected', `pod already has ${Containers.proxy} and ${Annotations.status}`);
  if (config.excludedNamespaces.includes(namespace.name)) add('SystemNamespace', `namespace ${namespace.name} is never injected`);
  if (pod.spec.hostNetwork === true) add('HostNetwork', 'pod uses hostNetwork: capturing traffic would capture the node');
  const optOut = podOptOut(labels, annotations);
  if (optOut?.by === 'skein') add('PodOptOut', optOut.where === 'label' ? `pod label ${optOut.key}=false` : `pod annotation ${optOut.key}: "false"`);
  if (optOut?.by === 'istio') {
    add('IstioOptOut', `pod ${optOut.where} ${optOut.key}: "false" (Istio's opt-out, honoured; Skein's own ${LabelNames.inject} key would decide instead)`);
  }
  if (nsValue === 'disabled') add('NamespaceDisabled', `namespace ${namespace.name} has label ${LabelNames.inject}=disabled`);
  if (nsValue === 'enabled') add('NamespaceEnabled', `namespace ${namespace.name} has label ${LabelNames.inject}=enabled`);
  if (labels[LabelNames.inject] === 'true') add('PodOptIn', `pod label ${LabelNames.inject}=true`);

  const blocked = reasons.some((r) => !isEnabling(r.code));
  const enabled = reasons.some((r) => isEnabling(r.code));
  if (!blocked && !enabled) {
    add('NotEnabled', `neither namespace label ${LabelNames.inject}=enabled nor pod label ${LabelNames.inject}=true`);
  }
  return { inject: enabled && !blocked, reasons };
}

/** One line for logs and Events: `inject=false AlreadyInjected,NamespaceEnabled`. */
export function summarize(decision: Decision): string {
  return `inject=${decision.inject} ${decision.reasons.map((r) => r.code).join(',')}`;
}
