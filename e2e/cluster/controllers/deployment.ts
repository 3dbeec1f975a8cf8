/**
 * The Deployment controller: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`,
 * the hash label on its selector, template and pods, `deployment.kubernetes.io/revision`), scaled
 * by the strategy — RollingUpdate within maxSurge/maxUnavailable as pods become available,
 * Recreate by scaling the old ones to zero first — old ReplicaSets beyond revisionHistoryLimit
 * deleted, and the status `kubectl rollout status` reads (observedGeneration, replicas,
 * updated/ready/available/unavailable, Available and Progressing conditions).
 */
import { clone, deepEqual, isObject, type JsonObject, type KubeObject, timestamp } from '../apiserver/core/json';
import { type Change } from '../apiserver/storage';
import { Controller, type ControllerContext, controllerOf, controllerRef, keyOf, splitKey } from './controller';

const replicaSets = { group: 'apps', version: 'v1', plural: 'replicasets' };
const deployments = { group: 'apps', version: 'v1', plural: 'deployments' };
export const PodTemplateHashLabel = 'pod-template-hash';
const RevisionAnnotation = 'deployment.kubernetes.io/revision';

/** FNV-1a, 32 bit. */
function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/** ComputeHash: the template's FNV-32a (with the collision count), spelled with SafeEncodeString's alphabet. */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const sum = fnv32a(canonical(template) + (collisionCount ? String(collisionCount) : ''));
  return [...String(sum)].map((c) => alphabet[c.charCodeAt(0) % alphabet.length]).join('');
}

function withoutHash(template: unknown): unknown {
  const t = clone(template) as JsonObject;
  const labels = isObject(t?.metadata) && isObject(t.metadata.labels) ? (t.metadata.labels as Record<string, string>) : undefined;
  if (labels) delete labels[PodTemplateHashLabel];
  return t;
}

/** An int-or-percent of `total` (rollingUpdate.maxSurge rounds up, maxUnavailable down). */
function scaled(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(String(value ?? ''));
  if (!m) return Number(value) || 0;
  const v = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(v) : Math.floor(v);
}

const replicasOf = (o: Readonly<KubeObject>, field: 'spec' | 'status', key = 'replicas') => {
  const part = o[field];
  return isObject(part) && typeof part[key] === 'number' ? (part[key] as number) : 0;
};

export class DeploymentController extends Controller {
  constructor(ctx: ControllerContext) {
    super('deployment-controller', ctx);
  }

  protected keysFor(change: Change): string[] {
    if (change.resource === 'apps/deployments') return change.type === 'DELETED' ? [] : [keyOf(change.object)];
    if (change.resource === 'apps/replicasets') {
      const ref = controllerOf(change.object);
      return ref?.kind === 'Deployment' ? [`${change.object.metadata.namespace}/${ref.name}`] : [];
    }
    return [];
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const d = this.ctx.storage.get('apps/deployments', namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = (isObject(d.spec) ? d.spec : {}) as JsonObject;
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const owned = this.ctx.storage.scan('apps/replicasets', namespace).filter((rs) => controllerOf(rs)?.uid === d.metadata.uid) as KubeObject[];
    const template = withoutHash(spec.template);
    let current = owned.find((rs) => deepEqual(withoutHash(isObject(rs.spec) ? rs.spec.template : undefined), template));
    const olds = owned.filter((rs) => rs !== current);
    const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[RevisionAnnotation] ?? 0)));
    const strategy = (isObject(spec.strategy) ? spec.strategy : {}) as JsonObject;
    const recreate = strategy.type === 'Recreate';
    const ru = (isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {}) as JsonObject;
    const maxSurge = recreate ? 0 : scaled(ru.maxSurge ?? '25%', desired, true);
    let maxUnavailable = recreate ? desired : scaled(ru.maxUnavailable ?? '25%', desired, false);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const oldTotal = olds.reduce((n, rs) => n + replicasOf(rs, 'spec'), 0);

    if (!current) {
      const hash = podTemplateHash(template, Number(isObject(d.status) ? d.status.collisionCount ?? 0 : 0));
      const t = clone(spec.template) as JsonObject;
      const meta = (t.metadata = isObject(t.metadata) ? t.metadata : {}) as JsonObject;
      meta.labels = { ...((meta.labels as Record<string, string> | undefined) ?? {}), [PodTemplateHashLabel]: hash };
      const selector = clone((spec.selector ?? {}) as JsonObject);
      selector.matchLabels = { ...((selector.matchLabels as Record<string, string> | undefined) ?? {}), [PodTemplateHashLabel]: hash };
      const initial = recreate ? (oldTotal > 0 ? 0 : desired) : olds.length === 0 ? desired : Math.max(0, Math.min(desired, desired + maxSurge - oldTotal));
      current = await this.ctx.client.create(replicaSets, {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`, namespace, labels: meta.labels as Record<string, string>, ownerReferences: [controllerRef(d)],
          annotations: { [RevisionAnnotation]: String(maxRevision + 1), 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(desired + maxSurge) },
        },
        spec: { replicas: initial, minReadySeconds: spec.minReadySeconds ?? 0, selector, template: t },
      });
    } else if (Number(current.metadata.annotations?.[RevisionAnnotation] ?? 0) < maxRevision) {
      // Rolling back to an older template makes it the newest revision again.
      current = await this.ctx.client.patch(replicaSets, namespace, current.metadata.name!, { metadata: { annotations: { [RevisionAnnotation]: String(maxRevision + 1) } } }, 'merge');
    }

    if (recreate) {
      for (const rs of olds) if (replicasOf(rs, 'spec') > 0) await this.scale(rs, 0);
      const oldPods = olds.reduce((n, rs) => n + replicasOf(rs, 'status'), 0);
      if (oldPods === 0 && replicasOf(current, 'spec') !== desired) await this.scale(current, desired);
    } else {
      const total = replicasOf(current, 'spec') + oldTotal;
      if (olds.length === 0 || oldTotal === 0) {
        if (replicasOf(current, 'spec') !== desired) await this.scale(current, desired);
      } else if (replicasOf(current, 'spec') < desired) {
        const room = desired + maxSurge - total;
        if (room > 0) await this.scale(current, Math.min(desired, replicasOf(current, 'spec') + room));
      }
      // Scale old ones down as far as availability allows.
      const available = owned.reduce((n, rs) => n + replicasOf(rs, 'status', 'availableReplicas'), 0);
      let canRemove = available - (desired - maxUnavailable);
      for (const rs of [...olds].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))) {
        const r = replicasOf(rs, 'spec');
        if (r === 0 || canRemove <= 0) continue;
        const cut = Math.min(r, canRemove);
        await this.scale(rs, r - cut);
        canRemove -= cut;
      }
    }
    await this.cleanup(olds, Number(spec.revisionHistoryLimit ?? 10));
    await this.writeStatus(d, current, olds, desired, maxUnavailable);
  }

  private async scale(rs: KubeObject, replicas: number): Promise<void> {
    await this.ctx.client.patch(replicaSets, rs.metadata.namespace, rs.metadata.name!, { spec: { replicas } }, 'merge');
  }

  private async cleanup(olds: KubeObject[], limit: number): Promise<void> {
    const idle = olds.filter((rs) => replicasOf(rs, 'spec') === 0 && replicasOf(rs, 'status') === 0)
      .sort((a, b) => Number(a.metadata.annotations?.[RevisionAnnotation] ?? 0) - Number(b.metadata.annotations?.[RevisionAnnotation] ?? 0));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) await this.ctx.client.delete(replicaSets, rs.metadata.namespace, rs.metadata.name!).catch(() => undefined);
  }

  private async writeStatus(d: KubeObject, current: KubeObject, olds: KubeObject[], desired: number, maxUnavailable: number): Promise<void> {
    const fresh = (rs: KubeObject) => this.ctx.storage.peek('apps/replicasets', rs.metadata.namespace, rs.metadata.name!) ?? rs;
    const all = [current, ...olds].map(fresh);
    const sum = (key: string) => all.reduce((n, rs) => n + replicasOf(rs, 'status', key), 0);
    const replicas = sum('replicas');
    const available = sum('availableReplicas');
    const updated = replicasOf(fresh(current), 'status');
    const now = timestamp(this.ctx.now());
    const old = (isObject(d.status) ? d.status : {}) as JsonObject;
    const oldConditions = (Array.isArray(old.conditions) ? old.conditions : []) as JsonObject[];
    const condition = (type: string, status: string, reason: string, message: string) => {
      const prev = oldConditions.find((c) => c.type === type);
      const same = prev && prev.status === status;
      return { type, status, lastUpdateTime: same && prev.reason === reason ? prev.lastUpdateTime : now, lastTransitionTime: same ? prev.lastTransitionTime : now, reason, message };
    };
    const availableOk = available >= desired - maxUnavailable;
    const complete = updated === desired && replicas === desired && available === desired;
    const status: JsonObject = {
      observedGeneration: d.metadata.generation,
      ...(replicas ? { replicas } : {}), ...(updated ? { updatedReplicas: updated } : {}),
      ...(sum('readyReplicas') ? { readyReplicas: sum('readyReplicas') } : {}), ...(available ? { availableReplicas: available } : {}),
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions: [
        condition('Available', availableOk ? 'True' : 'False', availableOk ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', availableOk ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'),
        condition('Progressing', 'True', complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', complete ? `ReplicaSet "${current.metadata.name}" has successfully progressed.` : `ReplicaSet "${current.metadata.name}" is progressing.`),
      ],
      ...(old.collisionCount !== undefined ? { collisionCount: old.collisionCount } : {}),
    };
    if (deepEqual(old, status)) return;
    const latest = this.ctx.storage.get('apps/deployments', d.metadata.namespace, d.metadata.name!);
    if (!latest) return;
    await this.ctx.client.update(deployments, { ...latest, status }, 'status');
  }
}
