/**
 * HTTP/2 rapid reset (CVE-2023-44487) accounting (pure; time passed in).
 *
 * Per connection, Envoy's rule (`overload.premature_reset_total_stream_count`, default 500, and
 * `overload.premature_reset_min_stream_lifetime_seconds`, default 1): a stream is a premature
 * reset when it closed within the minimum lifetime without a response; a connection is closed
 * once half the limit of its streams were premature, or, past the limit, when more than half are.
 *
 * Across connections (an attacker reconnects): the process counts premature resets of every
 * connection in a sliding window. Over `processLimit` the proxy is overloaded, like Envoy's
 * overload manager shedding: a connection that has shown a premature reset is closed at its next
 * one, and its new streams are refused instead of being forwarded.
 */

export interface ResetLimits {
  /** Envoy premature_reset_total_stream_count. */
  totalStreams: number;
  /** Envoy premature_reset_min_stream_lifetime_seconds, in ms. */
  minStreamLifetimeMs: number;
  /** Premature resets, all connections together, within `windowMs` that mean overload. */
  processLimit: number;
  windowMs: number;
}

export const DefaultResetLimits: ResetLimits = { totalStreams: 500, minStreamLifetimeMs: 1000, processLimit: 2000, windowMs: 10_000 };

/** A stream's end as the guard sees it. */
export interface StreamEnd {
  lifetimeMs: number;
  /** Response headers were sent (the stream was answered). */
  responded: boolean;
  /** The proxy itself refused or reset the stream (not the client's doing; not counted). */
  byProxy: boolean;
}

export type ResetVerdict = 'ok' | 'close';

/** One downstream HTTP/2 connection's books. */
export class ConnectionResets {
  streams = 0;
  premature = 0;

  constructor(private readonly limits: ResetLimits, private readonly process: ProcessResets) {}

  /** A premature reset was seen on this connection (its next streams deserve suspicion). */
  get suspect(): boolean {
    return this.premature > 0;
  }

  /** Records a closed stream; 'close': the connection must go. */
  streamClosed(end: StreamEnd, now: number): ResetVerdict {
    if (end.byProxy) return 'ok';
    this.streams++;
    if (end.responded || end.lifetimeMs > this.limits.minStreamLifetimeMs) return 'ok';
    this.premature++;
    this.process.record(now);
    if (this.process.overloaded(now)) return 'close';
    const limit = this.limits.totalStreams;
    if (this.streams < limit) return this.premature * 2 >= limit ? 'close' : 'ok';
    return this.premature * 2 >= this.streams ? 'close' : 'ok';
  }
}

/** Premature resets of the whole process, in a sliding window of ten buckets. */
export class ProcessResets {
  private readonly buckets = new Array<number>(10).fill(0);
  private bucketAt = 0;
  private total = 0;

  constructor(private readonly limits: ResetLimits) {}

  record(now: number): void {
    this.advance(now);
    this.buckets[this.index(now)]!++;
    this.total++;
  }

  /** Over the process-wide limit within the window. */
  overloaded(now: number): boolean {
    this.advance(now);
    return this.total >= this.limits.processLimit;
  }

  private index(now: number): number {
    return Math.floor(now / (this.limits.windowMs / 10)) % 10;
  }

  /** Empties the buckets the window has moved past. */
  private advance(now: number): void {
    const width = this.limits.windowMs / 10;
    const current = Math.floor(now / width);
    if (current === this.bucketAt) return;
    const steps = Math.min(10, current - this.bucketAt);
    for (let s = 1; s <= steps; s++) {
      const i = (this.bucketAt + s) % 10;
      this.total -= this.buckets[i]!;
      this.buckets[i] = 0;
    }
    this.bucketAt = current;
  }
}
