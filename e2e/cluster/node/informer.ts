/**
 * List-then-watch of one collection, the client-go way: a local cache, events for every change,
 * a relist when the watch's resourceVersion is too old (410 Gone), and a re-watch with capped
 * back-off when the stream ends or fails.
 */
import { ApiError, type KubeApi, type KubeObject, type WatchEvent } from './api';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions<T> {
  /** Sent to the server (e.g. `spec.nodeName=node-a`). */
  fieldSelector?: string;
  /** Also applied here, so a server that ignores the selector cannot hand us foreign objects. */
  filter?: (obj: T) => boolean;
  onChange: (type: ChangeType, obj: T, old: T | undefined) => void;
  log: (line: string) => void;
}

function key(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private resourceVersion = '';
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly path: string,
    private readonly options: InformerOptions<T>,
  ) {}

  /** Lists once (rejects if that fails), then keeps watching in the background. */
  async start(): Promise<void> {
    await this.relist();
    this.loop = this.watchLoop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(`${namespace ?? ''}/${name}`);
  }

  private accept(obj: T): boolean {
    return this.options.filter ? this.options.filter(obj) : true;
  }

  private async relist(): Promise<void> {
    const list = await this.api.get<{ metadata?: { resourceVersion?: string }; items?: T[] }>(this.path, { fieldSelector: this.options.fieldSelector });
    const seen = new Set<string>();
    for (const obj of list.items ?? []) {
      if (!this.accept(obj)) continue;
      const k = key(obj);
      seen.add(k);
      const old = this.store.get(k);
      this.store.set(k, obj);
      if (!old) this.options.onChange('ADDED', obj, undefined);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.options.onChange('MODIFIED', obj, old);
    }
    for (const [k, old] of this.store) {
      if (seen.has(k)) continue;
      this.store.delete(k);
      this.options.onChange('DELETED', old, old);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private apply(e: WatchEvent<T>): void {
    if (e.type === 'BOOKMARK') {
      this.resourceVersion = e.object.metadata?.resourceVersion ?? this.resourceVersion;
      return;
    }
    if (e.type === 'ERROR') {
      const status = e.object as unknown as { code?: number; message?: string };
      throw new ApiError(status.code ?? 500, 'WatchError', status.message ?? 'watch error');
    }
    const obj = e.object;
    this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
    const k = key(obj);
    const old = this.store.get(k);
    if (e.type === 'DELETED' || !this.accept(obj)) {
      if (!old) return;
      this.store.delete(k);
      this.options.onChange('DELETED', obj, old);
      return;
    }
    this.store.set(k, obj);
    this.options.onChange(old ? 'MODIFIED' : 'ADDED', obj, old);
  }

  private async watchLoop(): Promise<void> {
    let delay = 200;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.api.watch<T>(this.path, { fieldSelector: this.options.fieldSelector, resourceVersion: this.resourceVersion }, (e) => this.apply(e), signal);
        delay = 200;
      } catch (e) {
        if (signal.aborted) return;
        const gone = e instanceof ApiError && e.status === 410;
        if (!gone) this.options.log(`watch ${this.path}: ${(e as Error).message}; retrying in ${delay} ms`);
        await sleep(gone ? 0 : delay, signal);
        delay = Math.min(delay * 2, 5_000);
        try {
          if (!signal.aborted) await this.relist();
        } catch (err) {
          this.options.log(`list ${this.path}: ${(err as Error).message}`);
        }
        continue;
      }
      await sleep(50, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
