/**
 * The garbage collector: objects whose owners are all gone are deleted (background cascading);
 * a dangling owner reference next to a living owner is removed; an owner deleted with
 * `propagationPolicy: Foreground` waits (finalizer `foregroundDeletion`) until its dependents are
 * gone; with `Orphan` (finalizer `orphan`) its dependents lose their owner reference and survive.
 */
import { type KubeObject, type OwnerReference } from '../apiserver/core/json';
import { type Registry } from '../apiserver/core/registry';
import { type ResourceType, storageKey } from '../apiserver/core/resource-types';
import { type Change } from '../apiserver/storage';
import { Controller, type ControllerContext } from './controller';

interface Ref {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
}

export class GarbageCollector extends Controller {
  /** owner uid → dependents (`storageKey|namespace|name`). */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(ctx: ControllerContext, private readonly registry: Registry) {
    super('garbage-collector', ctx);
  }

  private typeOf(resource: string): ResourceType | undefined {
    return [...this.registry.all()].find((t) => storageKey(t) === resource);
  }

  protected keysFor(change: Change): string[] {
    const o = change.object;
    const self = `${change.resource}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
    const keys: string[] = [];
    for (const r of change.previous?.metadata.ownerReferences ?? []) this.dependents.get(r.uid)?.delete(self);
    if (change.type !== 'DELETED') {
      for (const r of o.metadata.ownerReferences ?? []) {
        let set = this.dependents.get(r.uid);
        if (!set) this.dependents.set(r.uid, (set = new Set()));
        set.add(self);
      }
      if ((o.metadata.ownerReferences ?? []).length) keys.push(`check|${self}`);
      const f = o.metadata.finalizers ?? [];
      if (o.metadata.deletionTimestamp && (f.includes('foregroundDeletion') || f.includes('orphan'))) keys.push(`owner|${self}`);
    } else if (o.metadata.uid) {
      keys.push(`gone|${o.metadata.uid}`);
    }
    // A dependent going away may be what a foreground owner waits for.
    if (change.type === 'DELETED') for (const r of o.metadata.ownerReferences ?? []) keys.push(`uid|${r.uid}`);
    return keys;
  }

  private refOf(key: string): Ref | undefined {
    const [resource, ns, name] = key.split('|') as [string, string, string];
    const type = this.typeOf(resource);
    return type ? { type, namespace: ns || undefined, name } : undefined;
  }

  private ownerExists(dep: Readonly<KubeObject>, r: OwnerReference): boolean {
    const t = this.registry.byKind(r.apiVersion, r.kind) ?? [...this.registry.all()].find((x) => x.kind === r.kind && r.apiVersion.startsWith(x.group ? `${x.group}/` : 'v'));
    if (!t) return false;
    const owner = this.ctx.storage.peek(storageKey(t), t.namespaced ? dep.metadata.namespace : undefined, r.name);
    return owner !== undefined && owner.metadata.uid === r.uid;
  }

  protected async reconcile(key: string): Promise<void> {
    const [kind, ...rest] = key.split('|');
    const target = rest.join('|');
    if (kind === 'gone') return this.ownerGone(target);
    if (kind === 'check') return this.check(target);
    if (kind === 'owner') return this.finalizeOwner(target);
    if (kind === 'uid') {
      const owner = [...this.registry.all()].filter((t) => !t.virtual).flatMap((t) => this.ctx.storage.scan(storageKey(t)).filter((o) => o.metadata.uid === target).map((o) => `${storageKey(t)}|${o.metadata.namespace ?? ''}|${o.metadata.name}`))[0];
      if (owner) return this.finalizeOwner(owner);
    }
  }

  private async ownerGone(uid: string): Promise<void> {
    for (const dep of [...(this.dependents.get(uid) ?? [])]) await this.check(dep);
  }

  /** Deletes a dependent whose owners are all gone; drops references to owners that are gone. */
  private async check(depKey: string): Promise<void> {
    const ref = this.refOf(depKey);
    if (!ref) return;
    const dep = this.ctx.storage.peek(storageKey(ref.type), ref.namespace, ref.name);
    if (!dep || dep.metadata.deletionTimestamp) return;
    const refs = dep.metadata.ownerReferences ?? [];
    const alive = refs.filter((r) => this.ownerExists(dep, r));
    if (alive.length === refs.length) return;
    if (alive.length === 0) {
      await this.ctx.client.delete(ref.type, ref.namespace, ref.name, { propagationPolicy: 'Background', preconditions: { uid: dep.metadata.uid! } }).catch(ignoreGone);
      return;
    }
    await this.ctx.client.patch(ref.type, ref.namespace, ref.name, { metadata: { ownerReferences: alive, resourceVersion: dep.metadata.resourceVersion } }, 'merge').catch(ignoreGone);
  }

  private async finalizeOwner(ownerKey: string): Promise<void> {
    const ref = this.refOf(ownerKey);
    if (!ref) return;
    const owner = this.ctx.storage.peek(storageKey(ref.type), ref.namespace, ref.name);
    if (!owner?.metadata.deletionTimestamp) return;
    const finalizers = owner.metadata.finalizers ?? [];
    const deps = [...(this.dependents.get(owner.metadata.uid!) ?? [])].map((k) => ({ k, r: this.refOf(k) })).filter((d): d is { k: string; r: Ref } => d.r !== undefined);
    const live = deps.map((d) => ({ ...d, obj: this.ctx.storage.peek(storageKey(d.r.type), d.r.namespace, d.r.name) })).filter((d) => d.obj !== undefined);
    if (finalizers.includes('orphan')) {
      for (const d of live) {
        const kept = (d.obj!.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
        await this.ctx.client.patch(d.r.type, d.r.namespace, d.r.name, { metadata: { ownerReferences: kept.length ? kept : null } }, 'merge').catch(ignoreGone);
      }
      await this.dropFinalizer(ref, 'orphan');
      return;
    }
    if (finalizers.includes('foregroundDeletion')) {
      const blocking = live.filter((d) => (d.obj!.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.blockOwnerDeletion));
      for (const d of live) {
        if (!d.obj!.metadata.deletionTimestamp) await this.ctx.client.delete(d.r.type, d.r.namespace, d.r.name, { propagationPolicy: 'Foreground' }).catch(ignoreGone);
      }
      if (blocking.length === 0) await this.dropFinalizer(ref, 'foregroundDeletion');
    }
  }

  private async dropFinalizer(ref: Ref, finalizer: string): Promise<void> {
    const owner = this.ctx.storage.peek(storageKey(ref.type), ref.namespace, ref.name);
    if (!owner) return;
    const kept = (owner.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    // A conflict is retried by the queue; only a vanished owner ends the work.
    await this.ctx.client.patch(ref.type, ref.namespace, ref.name, { metadata: { finalizers: kept.length ? kept : null, resourceVersion: owner.metadata.resourceVersion } }, 'merge').catch((err: unknown) => {
      if ((err as { code?: number }).code !== 404) throw err;
    });
  }
}

function ignoreGone(err: unknown): void {
  const code = (err as { code?: number }).code;
  if (code !== 404 && code !== 409) throw err;
}
