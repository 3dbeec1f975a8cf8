/**
 * A bounded load loop: N requests or T milliseconds, whichever comes first, with C in flight, each
 * worker pausing `intervalMs` between its requests when asked (a steady client). It counts outcomes
 * per server version and name, per status and per error. Clock and pause passed in.
 */
import { type EchoReply } from './identity';

export interface Outcome {
  ok: boolean;
  /** HTTP status or gRPC status name, when there was one. */
  status?: string;
  reply?: EchoReply;
  error?: string;
}

export interface LoadLimits {
  count: number;
  durationMs: number;
  concurrency: number;
  /** Pause of each worker between two of its requests (default 0: back to back). */
  intervalMs?: number;
}

export interface LoadReport {
  requests: number;
  ok: number;
  failed: number;
  byVersion: Record<string, number>;
  byName: Record<string, number>;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** The first successful reply (full), for single-request assertions. */
  first?: EchoReply;
  /** The first failure, for diagnostics. */
  firstError?: string;
  elapsedMs: number;
}

export const LoadBounds = { maxCount: 100_000, maxDurationMs: 600_000, maxConcurrency: 256 } as const;

export function checkLimits(limits: LoadLimits): LoadLimits {
  const { count, durationMs, concurrency } = limits;
  if (!Number.isInteger(count) || count < 1 || count > LoadBounds.maxCount) throw new Error(`--count must be 1..${LoadBounds.maxCount}, got ${count}`);
  if (!(durationMs > 0 && durationMs <= LoadBounds.maxDurationMs)) throw new Error(`--duration must be more than 0 and at most 10m, got ${durationMs} ms`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > LoadBounds.maxConcurrency) {
    throw new Error(`--concurrency must be 1..${LoadBounds.maxConcurrency}, got ${concurrency}`);
  }
  if (limits.intervalMs !== undefined && !(limits.intervalMs >= 0 && limits.intervalMs <= LoadBounds.maxDurationMs)) throw new Error(`--interval must be 0 to 10m, got ${limits.intervalMs} ms`);
  return limits;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runLoad(one: (index: number) => Promise<Outcome>, limits: LoadLimits, now: () => number, sleep: (ms: number) => Promise<void> = pause): Promise<LoadReport> {
  checkLimits(limits);
  const start = now();
  const deadline = start + limits.durationMs;
  const report: LoadReport = { requests: 0, ok: 0, failed: 0, byVersion: {}, byName: {}, statuses: {}, errors: {}, elapsedMs: 0 };
  let started = 0;
  const worker = async () => {
    while (started < limits.count && now() < deadline) {
      const outcome = await one(started++).catch((e: Error): Outcome => ({ ok: false, error: e.message }));
      report.requests++;
      if (outcome.status !== undefined) bump(report.statuses, outcome.status);
      if (outcome.ok) {
        report.ok++;
        if (outcome.reply) {
          bump(report.byVersion, outcome.reply.version);
          bump(report.byName, outcome.reply.name);
          report.first ??= outcome.reply;
        }
      } else {
        report.failed++;
        bump(report.errors, outcome.error ?? `status ${outcome.status ?? 'unknown'}`);
        report.firstError ??= outcome.error ?? `status ${outcome.status}`;
      }
      if (limits.intervalMs && started < limits.count && now() < deadline) await sleep(limits.intervalMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limits.concurrency, limits.count) }, worker));
  report.elapsedMs = now() - start;
  return report;
}
