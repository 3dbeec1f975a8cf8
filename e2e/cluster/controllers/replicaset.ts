/**
 * The ReplicaSet controller: keeps `spec.replicas` pods from the template running (names
 * `<rs>-xxxxx`, labels and annotations of the template, a controller owner reference), adopts
 * matching orphans, deletes the excess (not yet scheduled, pending, not ready, then newest first),
 * reports replicas/ready/available in status, and records FailedCreate when admission refuses a pod.
 */
import { clone, deepEqual, isObject, type JsonObject, type KubeObject, timestamp } from '../apiserver/core/json';
import { labelSelectorMatcher, type LabelSelector } from '../apiserver/core/selectors';
import { type Change } from '../apiserver/storage';
import { Controller, type ControllerContext, controllerOf, controllerRef, keyOf, splitKey } from './controller';
import { recordEvent } from './events';
import { nodeName, podActive, podPhase, podReady } from './pods';

const pods = { group: '', version: 'v1', plural: 'pods' };
const replicaSets = { group: 'apps', version: 'v1', plural: 'replicasets' };

/** How much a pod is worth keeping when scaling down (lower goes first), as ActivePods sorts them. */
function keepRank(p: Readonly<KubeObject>): number[] {
  return [nodeName(p) ? 1 : 0, podPhase(p) === 'Running' ? 1 : 0, podReady(p) ? 1 : 0];
}

export function podFromTemplate(owner: Readonly<KubeObject>, template: JsonObject, namespace: string, extra: { finalizers?: string[] } = {}): KubeObject {
  const meta = isObject(template.metadata) ? template.metadata : {};
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`, namespace,
      ...(isObject(meta.labels) ? { labels: clone(meta.labels as Record<string, string>) } : {}),
      ...(isObject(meta.annotations) ? { annotations: clone(meta.annotations as Record<string, string>) } : {}),
      ownerReferences: [controllerRef(owner as KubeObject)],
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
    },
    spec: clone(isObject(template.spec) ? template.spec : {}),
  };
}

export class ReplicaSetController extends Controller {
  constructor(ctx: ControllerContext) {
    super('replicaset-controller', ctx);
  }

  protected keysFor(change: Change): string[] {
    if (change.resource === 'apps/replicasets') return change.type === 'DELETED' ? [] : [keyOf(change.object)];
    if (change.resource !== 'pods') return [];
    const keys = new Set<string>();
    for (const p of [change.object, change.previous]) {
      const ref = p && controllerOf(p);
      if (ref?.kind === 'ReplicaSet') keys.add(`${p!.metadata.namespace}/${ref.name}`);
    }
    if (!controllerOf(change.object) && change.type === 'ADDED') {
      for (const rs of this.ctx.storage.scan('apps/replicasets', change.object.metadata.namespace)) {
        const sel = isObject(rs.spec) ? (rs.spec.selector as LabelSelector | undefined) : undefined;
        if (sel && labelSelectorMatcher(sel)(change.object.metadata.labels)) keys.add(keyOf(rs));
      }
    }
    return [...keys];
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rs = this.ctx.storage.get('apps/replicasets', namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = (isObject(rs.spec) ? rs.spec : {}) as JsonObject;
    const selector = labelSelectorMatcher((spec.selector ?? {}) as LabelSelector);
    const owned: Readonly<KubeObject>[] = [];
    for (const p of this.ctx.storage.scan('pods', namespace)) {
      const ref = controllerOf(p);
      if (ref?.uid === rs.metadata.uid) owned.push(p);
      else if (!ref && !p.metadata.deletionTimestamp && selector(p.metadata.labels)) {
        const adopted = await this.ctx.client.patch(pods, namespace, p.metadata.name!, { metadata: { ownerReferences: [...(p.metadata.ownerReferences ?? []), controllerRef(rs)], uid: p.metadata.uid } }, 'strategic').catch(() => undefined);
        if (adopted) owned.push(adopted);
      }
    }
    const active = owned.filter(podActive);
    const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
    let failure: string | undefined;
    if (active.length < want) {
      const template = (isObject(spec.template) ? spec.template : {}) as JsonObject;
      for (let i = active.length; i < want; i++) {
        try {
          active.push(await this.ctx.client.create(pods, podFromTemplate(rs, template, namespace)));
        } catch (err) {
          failure = (err as Error).message;
          await recordEvent(this.ctx.client, 'replicaset-controller', rs, 'Warning', 'FailedCreate', `Error creating: ${failure}`, this.ctx.now());
          break;
        }
      }
    } else if (active.length > want) {
      const victims = [...active].sort((a, b) => {
        const ra = keepRank(a);
        const rb = keepRank(b);
        for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
        return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
      }).slice(0, active.length - want);
      for (const v of victims) {
        await this.ctx.client.delete(pods, namespace, v.metadata.name!).catch(() => undefined);
        active.splice(active.indexOf(v), 1);
      }
    }
    await this.writeStatus(rs, active, failure);
    if (failure) throw new Error(`creating pods for ${key}: ${failure}`);
  }

  private async writeStatus(rs: KubeObject, active: Readonly<KubeObject>[], failure: string | undefined): Promise<void> {
    const spec = (isObject(rs.spec) ? rs.spec : {}) as JsonObject;
    const templateLabels = (isObject(spec.template) && isObject(spec.template.metadata) ? spec.template.metadata.labels : {}) as Record<string, string>;
    const ready = active.filter(podReady).length;
    const old = (isObject(rs.status) ? rs.status : {}) as JsonObject;
    const previous = (Array.isArray(old.conditions) ? old.conditions : []).find((c) => isObject(c) && c.type === 'ReplicaFailure' && c.message === failure);
    const conditions = failure
      ? [previous ?? { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: timestamp(this.ctx.now()) }]
      : undefined;
    const status: JsonObject = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      observedGeneration: rs.metadata.generation,
      ...(conditions ? { conditions } : {}),
    };
    if (deepEqual(old, status)) return;
    const fresh = this.ctx.storage.get('apps/replicasets', rs.metadata.namespace, rs.metadata.name!);
    if (!fresh) return;
    await this.ctx.client.update(replicaSets, { ...fresh, status }, 'status');
  }
}
