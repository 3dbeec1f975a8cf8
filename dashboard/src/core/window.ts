/**
 * Counters over a time window (pure; time is passed in): what Prometheus' `increase()` and
 * `histogram_quantile()` compute, for the few scrapes the dashboard keeps per proxy.
 *
 * - A counter's increase is summed over consecutive scrapes; a value that went down is a restart
 *   (the counter began again at 0), so the new value is all increase — as Prometheus counts resets.
 * - A series missing from the earlier scrape of a pair appeared in between: it counts from 0.
 * - Quantiles interpolate linearly inside the bucket that holds the rank; a rank in the `+Inf`
 *   bucket answers the highest finite bound (Prometheus' rule).
 */
import { type Labels, type Sample } from './prom-text';

export interface Scrape {
  /** When it was taken, ms. */
  at: number;
  samples: readonly Sample[];
}

export interface Increase {
  name: string;
  labels: Labels;
  value: number;
}

export interface TargetWindow {
  /** Time between the first and the last scrape of the window (0: not enough scrapes yet). */
  seconds: number;
  increases: Increase[];
}

/** The scrapes no older than `windowMs` before `now`, oldest first (the input is oldest first). */
export function trimWindow(scrapes: readonly Scrape[], now: number, windowMs: number): Scrape[] {
  return scrapes.filter((s) => s.at >= now - windowMs && s.at <= now);
}

function seriesKey(s: Sample): string {
  const keys = Object.keys(s.labels).sort();
  return JSON.stringify([s.name, ...keys.map((k) => [k, s.labels[k]])]);
}

/** Per series, how much each counter grew from the first to the last scrape. */
export function windowIncreases(scrapes: readonly Scrape[]): TargetWindow {
  if (scrapes.length < 2) return { seconds: 0, increases: [] };
  const byScrape = scrapes.map((s) => {
    const m = new Map<string, Sample>();
    for (const sample of s.samples) if (Number.isFinite(sample.value)) m.set(seriesKey(sample), sample);
    return m;
  });
  const totals = new Map<string, Increase>();
  for (let i = 1; i < byScrape.length; i++) {
    const before = byScrape[i - 1]!;
    for (const [key, sample] of byScrape[i]!) {
      const prev = before.get(key)?.value ?? 0;
      const grew = sample.value >= prev ? sample.value - prev : sample.value;
      const t = totals.get(key);
      if (t) t.value += grew;
      else totals.set(key, { name: sample.name, labels: sample.labels, value: grew });
    }
  }
  const seconds = (scrapes[scrapes.length - 1]!.at - scrapes[0]!.at) / 1000;
  return { seconds, increases: [...totals.values()] };
}

/** One cumulative bucket: observations ≤ `le` (Infinity for `+Inf`). */
export interface Bucket {
  le: number;
  count: number;
}

/** The q-quantile (0…1) of a histogram given by its cumulative buckets; undefined without observations. */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  // Counts must not go down with le (a scrape can tear between buckets): keep them monotonic.
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.count < sorted[i - 1]!.count) sorted[i] = { le: sorted[i]!.le, count: sorted[i - 1]!.count };
  const last = sorted[sorted.length - 1];
  if (!last || last.le !== Infinity || last.count <= 0 || !(q >= 0 && q <= 1)) return undefined;
  const rank = q * last.count;
  const i = sorted.findIndex((b) => b.count >= rank);
  const b = sorted[i]!;
  if (b.le === Infinity) return sorted.length > 1 ? sorted[sorted.length - 2]!.le : undefined;
  const start = i === 0 ? Math.min(0, b.le) : sorted[i - 1]!.le;
  const below = i === 0 ? 0 : sorted[i - 1]!.count;
  if (b.count === below) return b.le;
  return start + ((b.le - start) * (rank - below)) / (b.count - below);
}

/** Adds bucket counts by bound (histograms of several series or proxies merged). */
export function mergeBuckets(into: Map<number, number>, le: number, count: number): void {
  into.set(le, (into.get(le) ?? 0) + count);
}

export function bucketsOf(merged: ReadonlyMap<number, number>): Bucket[] {
  return [...merged].map(([le, count]) => ({ le, count }));
}

/** `le` label text → bound (`+Inf` → Infinity); undefined when it is not a number. */
export function parseLe(text: string | undefined): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
