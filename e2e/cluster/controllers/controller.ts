/**
 * The shape every simulated kube-controller-manager controller shares: it reads the store as an
 * informer cache would, is told about every committed change, queues the keys it cares about, and
 * reconciles them one at a time through the in-process client (so its writes pass admission like
 * any other client's). A failed reconcile is retried with capped backoff until the cluster stops.
 */
import { type InProcessClient } from '../apiserver/client';
import { type Storage, type Change } from '../apiserver/storage';

export interface ControllerContext {
  storage: Storage;
  client: InProcessClient;
  now: () => Date;
  random: () => number;
  log: (line: { msg: string; [k: string]: unknown }) => void;
}

export abstract class Controller {
  private readonly queue = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private draining = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly name: string, protected readonly ctx: ControllerContext) {}

  /** Keys (usually `namespace/name` of the object reconciled) a change concerns. */
  protected abstract keysFor(change: Change): string[];

  protected abstract reconcile(key: string): Promise<void>;

  observe(change: Change): void {
    if (this.stopped) return;
    for (const key of this.keysFor(change)) this.enqueue(key);
  }

  enqueue(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.enqueue(key);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
      return;
    }
    this.queue.add(key);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.stopped) {
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      try {
        await this.reconcile(key);
        this.failures.delete(key);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        const delay = Math.min(5000, 10 * 2 ** Math.min(n, 9));
        this.ctx.log({ msg: `${this.name}: reconcile failed, retrying`, key, attempt: n, delayMs: delay, error: (err as Error).message });
        this.enqueue(key, delay);
      }
    }
    this.draining = false;
    if (this.queue.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when nothing is queued (tests that want the controllers to settle). */
  idle(): Promise<void> {
    if (!this.draining && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** `namespace/name` of an object. */
export const keyOf = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function splitKey(key: string): { namespace: string; name: string } {
  const at = key.indexOf('/');
  return { namespace: key.slice(0, at), name: key.slice(at + 1) };
}

/** The owner reference a controller puts on what it creates. */
export function controllerRef(owner: { apiVersion: string; kind: string; metadata: { name?: string; uid?: string } }) {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The controlling owner reference of an object, if any. */
export function controllerOf(o: { metadata: { ownerReferences?: { uid: string; controller?: boolean; kind: string; name: string }[] } }) {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}
