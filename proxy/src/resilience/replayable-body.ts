/**
 * A request body that can be sent again: streams to the current upstream attempt as it arrives
 * (no added latency, bidirectional streams keep working) while keeping a copy up to a limit
 * (64 KiB by default, as Envoy's per-request retry buffer). If the body outgrows the limit the copy
 * is dropped and the request is no longer replayable, so it is never retried with a truncated body.
 */
import type { Readable, Writable } from 'node:stream';
import { DefaultRetryBufferBytes } from '../core/resilience/retry';

export class ReplayableBody {
  private chunks: Buffer[] = [];
  private size = 0;
  private overflowed = false;
  private ended = false;
  private started = false;
  private sink: Writable | undefined;
  private readonly completions: ((body: Buffer | undefined) => void)[] = [];

  constructor(private readonly source: Readable, private readonly limit = DefaultRetryBufferBytes) {}

  /** True while everything received so far is still held (a retry can resend it). */
  get replayable(): boolean {
    return !this.overflowed;
  }

  /** Sends the body to `sink`: what was kept so far, then the rest as it arrives; ends the sink with the body. */
  attach(sink: Writable): void {
    this.sink = sink;
    for (const c of this.chunks) sink.write(c);
    if (this.ended) {
      sink.end();
      return;
    }
    if (!this.started) this.start();
    else this.source.resume();
  }

  /** Calls `fn` once the body has fully arrived: with all of it, or undefined when it outgrew the limit. */
  whenComplete(fn: (body: Buffer | undefined) => void): void {
    if (this.ended) fn(this.overflowed ? undefined : Buffer.concat(this.chunks));
    else this.completions.push(fn);
  }

  /** Stops feeding the current attempt (it failed); data keeps being kept for the next one. */
  detach(): void {
    this.sink = undefined;
  }

  private start(): void {
    this.started = true;
    this.source.on('data', (c: Buffer) => {
      if (!this.overflowed) {
        this.size += c.length;
        if (this.size > this.limit) {
          this.overflowed = true;
          this.chunks = [];
        } else {
          this.chunks.push(c);
        }
      }
      const sink = this.sink;
      if (sink && !sink.write(c)) {
        this.source.pause();
        sink.once('drain', () => {
          if (this.sink === sink) this.source.resume();
        });
      }
    });
    this.source.once('end', () => {
      this.ended = true;
      this.sink?.end();
      for (const fn of this.completions.splice(0)) fn(this.overflowed ? undefined : Buffer.concat(this.chunks));
    });
  }
}
