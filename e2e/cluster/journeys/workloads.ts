/**
 * Reading workloads the way a user does with kubectl: pods by label, conditions, container names.
 */
import { type Kube, type Obj } from './kube';

export function conditionTrue(obj: Obj | undefined, type: string): boolean {
  return ((obj?.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === type && c.status === 'True');
}

export async function podsOf(kube: Kube, namespace: string, labelSelector: string): Promise<Obj[]> {
  return kube.list('v1', 'Pod', namespace, labelSelector);
}

/** Init containers and containers by name, as `kubectl get pod -o jsonpath` shows them. */
export function containerNames(pod: Obj): { init: string[]; main: string[] } {
  return {
    init: ((pod.spec?.initContainers ?? []) as { name: string }[]).map((c) => c.name),
    main: ((pod.spec?.containers ?? []) as { name: string }[]).map((c) => c.name),
  };
}

/** One line per pod: phase, readiness, container states (for wait messages). */
export function describePods(pods: readonly Obj[]): string {
  return pods.map((p) => {
    const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])] as { name: string; ready: boolean; restartCount: number; state?: Record<string, { reason?: string; message?: string }> }[];
    const states = statuses.map((c) => {
      const [state, detail] = Object.entries(c.state ?? {})[0] ?? ['?', {}];
      return `${c.name}=${state}${detail?.reason ? `(${detail.reason}${detail.message ? `: ${detail.message}` : ''})` : ''}${c.restartCount ? ` restarts=${c.restartCount}` : ''}`;
    });
    return `${p.metadata.namespace}/${p.metadata.name} ${p.status?.phase ?? '?'} ready=${conditionTrue(p, 'Ready')} ${states.join(' ')}`;
  }).join('\n');
}
