/**
 * Status conditions on every Skein CRD object: `Accepted` True/False with reason and message and
 * `observedGeneration`, from the one validator (the same errors the source reports). Written only
 * while this replica leads, through the status subresource, and only when the condition changed
 * (lastTransitionTime is kept while the condition's status stays the same). The write carries the
 * object's resourceVersion, so a status computed from a stale cache is refused (409) and recomputed
 * from the newer object when its event arrives.
 */
import { type Condition, type ResourceStatus, acceptedStatus } from '../../../api/src/crd';
import { validateObject } from '../core/validation';
import { type ApiObject, type InformerEvent, cacheKey } from './informer';
import { projectForIndex } from './kube-source';
import { type KubeApi, isConflict, isNotFound } from './api';
import { type ResourceType, SkeinResources, resourcePath } from './resources';

/** The status the object should carry now. */
export function desiredStatus(obj: ApiObject, now: Date): ResourceStatus {
  const errors = validateObject(projectForIndex(obj));
  const desired = acceptedStatus(errors, obj.metadata.generation, now.toISOString());
  const current = currentCondition(obj);
  const next = desired.conditions?.[0];
  if (current && next && current.status === next.status && current.lastTransitionTime) next.lastTransitionTime = current.lastTransitionTime;
  return desired;
}

function currentCondition(obj: ApiObject): Condition | undefined {
  const status = obj.status as ResourceStatus | undefined;
  return status?.conditions?.find((c) => c.type === 'Accepted');
}

/** Whether the object's status already says what `desired` says (ignoring timestamps). */
export function statusUpToDate(obj: ApiObject, desired: ResourceStatus): boolean {
  const status = obj.status as ResourceStatus | undefined;
  const a = currentCondition(obj);
  const b = desired.conditions?.[0];
  if (!a || !b || status?.observedGeneration !== desired.observedGeneration) return false;
  return a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;
}

export interface StatusWriterOptions {
  api: KubeApi;
  /** Current objects of one Skein kind, by cacheKey (the informers' caches). */
  lookup: (kind: string) => ReadonlyMap<string, ApiObject>;
  now?: () => Date;
  log?: (line: string) => void;
  /** Delay before a failed write is retried (default 1 s). */
  retryMs?: number;
}

const resourceByKind = new Map(SkeinResources.map((r) => [r.kind, r]));

export class StatusWriter {
  private leader = false;
  private readonly queue = new Map<string, { kind: string; key: string }>();
  private draining: Promise<void> | undefined;
  /** Status writes made (for metrics and tests). */
  writes = 0;

  constructor(private readonly options: StatusWriterOptions) {}

  /** Informer events: objects of Skein kinds are queued (written when leading). */
  onEvents(events: InformerEvent[]): void {
    for (const e of events) {
      if (e.type !== 'apply' || !resourceByKind.has(e.object.kind)) continue;
      this.enqueue(e.object.kind, cacheKey(e.object.metadata));
    }
  }

  /** Leadership changes: on gaining it, every Skein object is checked. */
  setLeader(leader: boolean): void {
    this.leader = leader;
    if (!leader) return;
    for (const kind of resourceByKind.keys()) for (const key of this.options.lookup(kind).keys()) this.enqueue(kind, key);
  }

  /** Resolves when the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private enqueue(kind: string, key: string): void {
    this.queue.set(`${kind}/${key}`, { kind, key });
    if (this.leader) this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.leader && this.queue.size) {
      const [id, item] = this.queue.entries().next().value!;
      this.queue.delete(id);
      const obj = this.options.lookup(item.kind).get(item.key);
      if (obj) await this.reconcile(resourceByKind.get(item.kind)!, obj);
    }
  }

  private async reconcile(resource: ResourceType, obj: ApiObject): Promise<void> {
    const desired = desiredStatus(obj, (this.options.now ?? (() => new Date()))());
    if (statusUpToDate(obj, desired)) return;
    const path = resourcePath(resource, obj.metadata.namespace, obj.metadata.name, 'status');
    try {
      await this.options.api.patch(path, { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: desired }, 'merge');
      this.writes++;
    } catch (err) {
      // Conflict: our copy is stale; the newer object's event requeues it. NotFound: it was deleted.
      if (isConflict(err) || isNotFound(err)) return;
      this.options.log?.(`status: ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}: ${(err as Error).message}; retrying`);
      const retry = setTimeout(() => this.enqueue(obj.kind, cacheKey(obj.metadata)), this.options.retryMs ?? 1000);
      retry.unref();
    }
  }
}
