/** Pod facts the controllers agree on (kubectl's and the controllers' own helpers). Pure. */
import { isObject, type KubeObject } from '../apiserver/core/json';

export const podPhase = (p: Readonly<KubeObject>): string => (isObject(p.status) && typeof p.status.phase === 'string' ? p.status.phase : 'Pending');

export function podReady(p: Readonly<KubeObject>): boolean {
  const conditions = isObject(p.status) && Array.isArray(p.status.conditions) ? (p.status.conditions as { type?: string; status?: string }[]) : [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export const terminating = (p: Readonly<KubeObject>): boolean => p.metadata.deletionTimestamp !== undefined;

/** Counted by ReplicaSets and Jobs: not terminal, not being deleted. */
export const podActive = (p: Readonly<KubeObject>): boolean => !terminating(p) && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed';

export const podIP = (p: Readonly<KubeObject>): string | undefined => (isObject(p.status) && typeof p.status.podIP === 'string' && p.status.podIP ? p.status.podIP : undefined);

export const nodeName = (p: Readonly<KubeObject>): string | undefined => (isObject(p.spec) && typeof p.spec.nodeName === 'string' && p.spec.nodeName ? p.spec.nodeName : undefined);
