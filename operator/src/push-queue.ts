/**
 * Bounded push concurrency (Istio's PILOT_PUSH_THROTTLE, 100 by default). Pushes — build a proxy's
 * snapshot, write what changed — are queued per proxy stream and run at most `maxInFlight` at a
 * time; a push holds its slot until gRPC has taken its responses, so a reconnect storm of thousands
 * of proxies neither buffers thousands of configurations in memory at once nor starves the event
 * loop (one push starts per turn of the loop; ACKs, new streams and health checks run in between).
 *
 * A stream queued twice is pushed once; a stream changed while its push runs is pushed again after
 * it (a push always builds from the newest model, so nothing is lost by merging).
 */
export const DefaultPushConcurrency = 100;

export interface PushQueueOptions {
  maxInFlight: number;
  /** Runs `fn` on a later turn of the event loop (default setImmediate). */
  schedule?: (fn: () => void) => void;
  onError?: (key: string, err: unknown) => void;
}

export class PushQueue {
  /** Waiting, in arrival order. */
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Queued again while running. */
  private readonly again = new Set<string>();
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly schedule: (fn: () => void) => void;

  constructor(private readonly push: (key: string) => Promise<void>, private readonly options: PushQueueOptions = { maxInFlight: DefaultPushConcurrency }) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) throw new Error(`push queue: maxInFlight must be a whole number >= 1, got ${options.maxInFlight}`);
    this.schedule = options.schedule ?? ((fn) => setImmediate(fn));
  }

  enqueue(key: string): void {
    if (this.running.has(key)) this.again.add(key);
    else this.queued.add(key);
    this.pump();
  }

  /** The stream is gone: drop its pending push. */
  forget(key: string): void {
    this.queued.delete(key);
    this.again.delete(key);
  }

  /** Pushes waiting for a slot. */
  get waiting(): number {
    return this.queued.size;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queued.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.scheduled || this.queued.size === 0 || this.running.size >= this.options.maxInFlight) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.startOne();
      this.pump();
    });
  }

  private startOne(): void {
    if (this.running.size >= this.options.maxInFlight) return;
    const key = this.queued.values().next().value;
    if (key === undefined) return;
    this.queued.delete(key);
    this.running.add(key);
    let pushed: Promise<void>;
    try {
      pushed = this.push(key);
    } catch (err) {
      pushed = Promise.reject(err);
    }
    pushed.catch((err: unknown) => this.options.onError?.(key, err)).finally(() => {
      this.running.delete(key);
      if (this.again.delete(key)) this.queued.add(key);
      this.pump();
      if (this.queued.size === 0 && this.running.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }
}
