/**
 * List + watch for one resource type, keeping a cache of the current objects:
 * - list (resourceVersion from the list), then watch from there with bookmarks;
 * - a watch that ends normally is reopened from the last resourceVersion seen (events or bookmarks);
 * - 410 Gone (HTTP status or an ERROR event) means the resourceVersion is too old: relist and emit
 *   only the differences against the cache (applies for new/changed, deletes for vanished objects);
 * - any other failure retries with capped exponential backoff (reset after a successful list/event).
 * `synced` resolves after the first complete list.
 */
import { type KubeApi, isGone, isNotFound, KubeApiError } from './api';
import { type ResourceType, resourcePath } from './resources';

export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  [field: string]: unknown;
}

export type InformerEvent = { type: 'apply'; object: ApiObject } | { type: 'delete'; object: ApiObject };

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

export interface InformerOptions {
  api: KubeApi;
  resource: ResourceType;
  /** Restrict to one namespace (namespaced resources only). */
  namespace?: string;
  /** Called with each batch of changes, in order (a relist is one batch). */
  onEvents: (events: InformerEvent[]) => void;
  backoff?: BackoffOptions;
  /** Reduces each object before it is cached (memory: pods carry much the mesh never reads). */
  transform?: (obj: ApiObject) => ApiObject;
  /** Server-side watch timeout (default 300 s); the watch is then reopened. */
  watchTimeoutSeconds?: number;
  log?: (line: string) => void;
}

/** Cache key: `namespace/name` (`/name` for cluster-scoped objects). */
export function cacheKey(meta: Pick<KubeObjectMeta, 'name' | 'namespace'>): string {
  return `${meta.namespace ?? ''}/${meta.name}`;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: ApiObject & { code?: number; reason?: string; message?: string };
}

/** Drops what only the API server needs (managedFields), keeps everything else untouched. */
function trim(obj: ApiObject, resource: ResourceType): ApiObject {
  const { managedFields: _managed, ...metadata } = obj.metadata;
  // Lists omit apiVersion/kind on items; fill them in so consumers always see complete objects.
  return { ...obj, apiVersion: obj.apiVersion ?? resource.apiVersion, kind: obj.kind ?? resource.kind, metadata };
}

/**
 * A list/watch failure as an operator reads it. A 404 for a whole collection means the API server
 * does not serve that type: for a custom resource, its CRD is not installed (yet).
 */
export function describeListFailure(resource: ResourceType, err: unknown): string {
  const message = (err as Error).message;
  if (!isNotFound(err)) return message;
  const group = resource.apiVersion.includes('/') ? resource.apiVersion.split('/')[0]! : '';
  if (group.endsWith('.skein.dev')) {
    return `the API server does not serve ${resource.apiVersion} ${resource.plural}: CRD ${resource.plural}.${group} is not installed (skein install, or kubectl apply -f manifests/install.yaml)`;
  }
  return `the API server does not serve ${resource.apiVersion} ${resource.plural} (${message})`;
}

export function nextBackoff(previousMs: number | undefined, options: BackoffOptions): number {
  return previousMs === undefined ? options.initialMs : Math.min(previousMs * 2, options.maxMs);
}

export class Informer {
  readonly cache = new Map<string, ApiObject>();
  readonly synced: Promise<void>;
  /** Number of complete lists (1 after the initial sync; more after 410 Gone or errors). */
  lists = 0;
  private markSynced!: () => void;
  private resourceVersion: string | undefined;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;
  private backoffMs: number | undefined;
  private wake: (() => void) | undefined;
  /** Why the last list or watch failed (cleared by the next complete list): what /readyz reports. */
  lastError: string | undefined;

  constructor(private readonly options: InformerOptions) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  get resource(): ResourceType {
    return this.options.resource;
  }

  hasSynced(): boolean {
    return this.lists > 0;
  }

  list(): ApiObject[] {
    return [...this.cache.values()];
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.running;
  }

  private prepare(obj: ApiObject): ApiObject {
    const trimmed = trim(obj, this.options.resource);
    return this.options.transform ? this.options.transform(trimmed) : trimmed;
  }

  private get path(): string {
    return resourcePath(this.options.resource, this.options.namespace);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        await this.watch();
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          this.options.log?.(`informer ${this.options.resource.kind}: resourceVersion expired, relisting`);
          this.resourceVersion = undefined;
          continue;
        }
        this.backoffMs = nextBackoff(this.backoffMs, this.options.backoff ?? defaultBackoff);
        this.lastError = describeListFailure(this.options.resource, err);
        this.options.log?.(`informer ${this.options.resource.kind}: ${this.lastError}; retrying in ${this.backoffMs} ms`);
        await this.sleep(this.backoffMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async relist(): Promise<void> {
    const list = await this.options.api.list<{ metadata?: { resourceVersion?: string }; items?: ApiObject[] }>(this.path);
    const items = (list.items ?? []).map((o) => this.prepare(o));
    const seen = new Set<string>();
    const events: InformerEvent[] = [];
    for (const obj of items) {
      const key = cacheKey(obj.metadata);
      seen.add(key);
      const previous = this.cache.get(key);
      this.cache.set(key, obj);
      if (previous?.metadata.resourceVersion !== obj.metadata.resourceVersion || previous === undefined) events.push({ type: 'apply', object: obj });
    }
    for (const [key, obj] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      events.push({ type: 'delete', object: obj });
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.backoffMs = undefined;
    this.lastError = undefined;
    this.lists++;
    if (events.length || this.lists === 1) this.options.onEvents(events);
    this.markSynced();
  }

  private async watch(): Promise<void> {
    this.abort = new AbortController();
    const query = { resourceVersion: this.resourceVersion || undefined, allowWatchBookmarks: true, timeoutSeconds: this.options.watchTimeoutSeconds ?? 300 };
    let failure: Error | undefined;
    let received = 0;
    await this.options.api.watch(this.path, query, (raw) => {
      if (failure) return;
      received++;
      const event = raw as WatchEvent;
      const obj = event.object;
      if (event.type === 'ERROR') {
        // A Status object: 410 Gone means our resourceVersion is too old.
        failure = new KubeApiError(obj.code ?? 500, obj.reason ?? 'Unknown', obj.message ?? 'watch error');
        this.abort.abort();
        return;
      }
      if (obj?.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
      if (event.type === 'BOOKMARK') return;
      const object = this.prepare(obj);
      const key = cacheKey(object.metadata);
      this.backoffMs = undefined;
      if (event.type === 'DELETED') {
        this.cache.delete(key);
        this.options.onEvents([{ type: 'delete', object }]);
      } else {
        this.cache.set(key, object);
        this.options.onEvents([{ type: 'apply', object }]);
      }
    }, this.abort.signal);
    if (failure) throw failure;
    // A watch that ends without a single event or bookmark: do not spin on a misbehaving server.
    if (received === 0 && !this.stopped) await this.sleep((this.options.backoff ?? defaultBackoff).initialMs);
  }
}
