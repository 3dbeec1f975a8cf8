/**
 * Debounce of source changes before a recompute: fire after `quietMs` without changes, but never
 * later than `maxMs` after the first change of a burst (Istio's PILOT_DEBOUNCE_AFTER / _MAX,
 * 100 ms and 10 s: a steady trickle of changes is batched for up to 10 s instead of pushing
 * thousands of proxies on every one).
 */
export interface DebounceOptions {
  quietMs: number;
  maxMs: number;
}

export const defaultDebounce: DebounceOptions = { quietMs: 100, maxMs: 10_000 };

export class Debouncer {
  private quietTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;
  private pending = 0;

  constructor(private readonly fire: (changes: number) => void, private readonly options: DebounceOptions = defaultDebounce) {
    if (!(options.quietMs > 0) || !(options.maxMs >= options.quietMs)) {
      throw new Error(`debounce: need 0 < quietMs <= maxMs, got quietMs=${options.quietMs} maxMs=${options.maxMs}`);
    }
  }

  /** Records one change. */
  poke(): void {
    this.pending++;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.flush(), this.options.quietMs);
    this.maxTimer ??= setTimeout(() => this.flush(), this.options.maxMs);
  }

  /** Fires now if anything is pending. */
  flush(): void {
    this.cancel();
    const changes = this.pending;
    this.pending = 0;
    if (changes > 0) this.fire(changes);
  }

  cancel(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.quietTimer = undefined;
    this.maxTimer = undefined;
  }
}
