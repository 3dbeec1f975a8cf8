/**
 * The simulated etcd + watch cache: objects per type, one global resourceVersion counter, a bounded
 * history of changes for watches that resume from a resourceVersion (older than the history: 410
 * Expired), and fan-out to open watches with selector transitions (an object that starts to match a
 * watch's selector arrives as ADDED, one that stops matching as DELETED, as the watch cache does).
 * In-process listeners (the controllers) see every committed change synchronously. No I/O.
 */
import { clone, type KubeObject } from './core/json';
import { expired } from './core/status';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: EventType;
  /** typeKey of the resource type (`v1/pods`, `apps/v1/deployments`). */
  resource: string;
  object: KubeObject;
  /** The object before a MODIFIED/DELETED change. */
  previous?: KubeObject;
  rv: number;
}

export interface WatchOptions {
  namespace?: string;
  /** Selector test (labels and fields) an object must pass to be sent. */
  matches?: (obj: KubeObject) => boolean;
}

export interface WatchSink {
  event(type: EventType, object: KubeObject): void;
}

interface Watcher extends WatchOptions {
  resource: string;
  sink: WatchSink;
}

const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class Storage {
  private rv: number;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: Change[] = [];
  /** Every change at or below this resourceVersion is gone from the history. */
  private compactedRv: number;
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(private readonly historyLimit = 10_000, initialRv = 1) {
    this.rv = initialRv;
    this.compactedRv = initialRv;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects.get(resource)?.get(objectKey(namespace, name));
    return obj ? clone(obj) : undefined;
  }

  /** A read-only view of the live object (no copy): for hot paths that only read. */
  peek(resource: string, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined {
    return this.objects.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects of a type (in one namespace, or all), sorted by namespace/name as etcd keys sort. */
  list(resource: string, namespace?: string): KubeObject[] {
    return this.scan(resource, namespace).map(clone);
  }

  /** Like list, without copies. */
  scan(resource: string, namespace?: string): Readonly<KubeObject>[] {
    const store = this.objects.get(resource);
    if (!store) return [];
    return [...store.entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  count(resource: string): number {
    return this.objects.get(resource)?.size ?? 0;
  }

  /** Stores a new or changed object with the next resourceVersion; returns the stored copy. */
  put(resource: string, obj: KubeObject): KubeObject {
    let store = this.objects.get(resource);
    if (!store) this.objects.set(resource, (store = new Map()));
    const key = objectKey(obj.metadata.namespace, obj.metadata.name!);
    const previous = store.get(key);
    const next = clone(obj);
    next.metadata.resourceVersion = String(++this.rv);
    store.set(key, next);
    this.record({ type: previous ? 'MODIFIED' : 'ADDED', resource, object: next, ...(previous ? { previous } : {}), rv: this.rv });
    return clone(next);
  }

  /**
   * Removes an object; the DELETED event carries it (or `finalState`, when the removal is the
   * result of an update, e.g. the last finalizer removed) with the deletion's resourceVersion.
   */
  remove(resource: string, namespace: string | undefined, name: string, finalState?: KubeObject): KubeObject | undefined {
    const store = this.objects.get(resource);
    const key = objectKey(namespace, name);
    const previous = store?.get(key);
    if (!store || !previous) return undefined;
    store.delete(key);
    const gone = clone(finalState ?? previous);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record({ type: 'DELETED', resource, object: gone, previous, rv: this.rv });
    return clone(gone);
  }

  /** Forgets the history: watches from an older resourceVersion get 410 Expired. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  /**
   * Opens a watch: replays the changes after `fromRv` (throws the 410 when they are no longer known),
   * then follows new ones. Returns the function that closes it.
   */
  watch(resource: string, fromRv: number | undefined, options: WatchOptions, sink: WatchSink): () => void {
    if (fromRv !== undefined && fromRv < this.compactedRv) throw expired(`too old resource version: ${fromRv} (${this.compactedRv})`);
    const w: Watcher = { ...options, resource, sink };
    if (fromRv !== undefined) for (const change of this.history) if (change.rv > fromRv) this.deliver(w, change);
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  openWatches(resource?: string): number {
    return [...this.watchers].filter((w) => resource === undefined || w.resource === resource).length;
  }

  /** Every committed change, synchronously (the in-process controllers). Returns the unsubscribe. */
  onChange(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.compactedRv = this.history.shift()!.rv;
    for (const w of this.watchers) this.deliver(w, change);
    for (const l of this.listeners) l(change);
  }

  private deliver(w: Watcher, change: Change): void {
    if (w.resource !== change.resource) return;
    const inScope = (o: KubeObject | undefined) => o !== undefined && (w.namespace === undefined || o.metadata.namespace === w.namespace) && (!w.matches || w.matches(o));
    const now = change.type !== 'DELETED' && inScope(change.object);
    const before = change.type !== 'ADDED' && inScope(change.previous);
    if (change.type === 'DELETED') {
      if (before) w.sink.event('DELETED', change.object);
    } else if (now && before) w.sink.event('MODIFIED', change.object);
    else if (now) w.sink.event('ADDED', change.object);
    else if (before) w.sink.event('DELETED', change.object);
  }
}
