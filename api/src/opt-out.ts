/**
 * Does a pod opt out of the mesh? One rule for the webhook's decision (webhook/src/core/decide.ts)
 * and the control plane's model (a pod that opted out is not meshed: no mTLS towards it).
 *
 * - `skein.dev/inject: "false"`, as label or annotation: opted out.
 * - Istio's `sidecar.istio.io/inject: "false"`, as label or annotation: opted out too, unless the
 *   pod carries Skein's own `skein.dev/inject` key (label or annotation, any value), which then
 *   decides alone. A user moving from Istio keeps the pods they kept out of Istio's mesh out of
 *   Skein's; a pod moved over explicitly (`skein.dev/inject: "true"` beside Istio's "false", the
 *   side-by-side migration) is Skein's. Istio's `"true"` is not an opt-in: during a migration Istio
 *   would inject that pod too.
 */
import { Annotations, Labels } from './names';

/** Istio's per-pod injection key (label or annotation). */
export const IstioInjectKey = 'sidecar.istio.io/inject';

export interface OptOut {
  by: 'skein' | 'istio';
  where: 'label' | 'annotation';
  key: string;
}

export function podOptOut(labels: Readonly<Record<string, string>> = {}, annotations: Readonly<Record<string, string>> = {}): OptOut | undefined {
  if (labels[Labels.inject] === 'false') return { by: 'skein', where: 'label', key: Labels.inject };
  if (annotations[Annotations.inject] === 'false') return { by: 'skein', where: 'annotation', key: Annotations.inject };
  if (labels[Labels.inject] !== undefined || annotations[Annotations.inject] !== undefined) return undefined;
  if (labels[IstioInjectKey] === 'false') return { by: 'istio', where: 'label', key: IstioInjectKey };
  if (annotations[IstioInjectKey] === 'false') return { by: 'istio', where: 'annotation', key: IstioInjectKey };
  return undefined;
}
