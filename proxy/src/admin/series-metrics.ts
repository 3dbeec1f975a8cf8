/**
 * Hot-path Prometheus metrics: counters and histograms kept in plain arrays, one slot per interned
 * label tuple, turned into prom-client's value format only when scraped.
 *
 * prom-client's `labels(...).observe()` validates and hashes the label object on every call and
 * keeps buckets in objects keyed by bound; per request that was 4–8% of the proxy's busy time. Here
 * a request costs one Map lookup (the joined label values) plus array increments. The scrape output
 * is the same text prom-client produces for the same observations (same names, label order,
 * cumulative buckets, `+Inf`, `_sum`, `_count`), so dashboards and alerts do not change.
 *
 * Both classes implement the part of prom-client's metric interface a `Registry` uses
 * (`name`, `help`, `type`, `aggregator`, `get()`), so they register next to ordinary metrics.
 */
import type { Registry } from 'prom-client';

/** One exported sample, in the shape prom-client's registry formats (and aggregates). */
export interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

/** What `get()` returns: prom-client's runtime metric object (its typings say `type` is an enum). */
export interface ExportedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: ExportedValue[];
}

type Labels<N extends string> = Readonly<Record<N, string>>;

/**
 * Interns label tuples (in the metric's label-name order) to dense series indexes. Metrics with the
 * same labels may share one index, so a request resolves its labels once for all of them.
 */
export class SeriesIndex<N extends string> {
  private readonly byKey = new Map<string, number>();
  readonly labels: Record<string, string>[] = [];

  constructor(private readonly labelNames: readonly N[]) {}

  indexOf(labels: Labels<N>): number {
    const names = this.labelNames;
    let key = '';
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as N;
      const v = labels[name];
      if (typeof v !== 'string') throw new Error(`metric label '${name}' is missing`);
      key += i === 0 ? v : `\u0000${v}`;
    }
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    const copy: Record<string, string> = {};
    for (const n of names) copy[n] = labels[n];
    const index = this.labels.length;
    this.labels.push(copy);
    this.byKey.set(key, index);
    return index;
  }
}

interface MetricOptions<N extends string> {
  name: string;
  help: string;
  labelNames: readonly N[];
  registers?: Registry[];
  /** A shared index (same label names) instead of a private one. */
  index?: SeriesIndex<N>;
}

abstract class SeriesMetric<N extends string> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: ExportedMetric['type'];
  readonly aggregator = 'sum' as const;
  protected readonly series: SeriesIndex<N>;

  constructor(options: MetricOptions<N>) {
    this.name = options.name;
    this.help = options.help;
    this.series = options.index ?? new SeriesIndex(options.labelNames);
    // The registry's typings want its own metric classes; at run time it only calls get().
    for (const r of options.registers ?? []) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  abstract get(): Promise<ExportedMetric>;
}

export class SeriesCounter<N extends string> extends SeriesMetric<N> {
  readonly type = 'counter' as const;
  private values: number[] = [];

  inc(labels: Labels<N>, value = 1): void {
    this.incSeries(this.series.indexOf(labels), value);
  }

  incSeries(index: number, value = 1): void {
    if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`counter ${this.name} can only increase by a finite amount, got ${value}`);
    this.values[index] = (this.values[index] ?? 0) + value;
  }

  get(): Promise<ExportedMetric> {
    const values = this.series.labels.map((labels, i) => ({ labels, value: this.values[i] ?? 0 }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}

export class SeriesHistogram<N extends string> extends SeriesMetric<N> {
  readonly type = 'histogram' as const;
  private readonly bounds: number[];
  /** Per series: one non-cumulative count per bound, then the overflow (+Inf only) count. */
  private readonly counts: Float64Array[] = [];
  private readonly sums: number[] = [];

  constructor(options: MetricOptions<N> & { buckets: readonly number[] }) {
    super(options);
    const bounds = [...options.buckets];
    for (let i = 0; i < bounds.length; i++) {
      const bound = bounds[i] as number;
      if (!Number.isFinite(bound) || (i > 0 && bound <= (bounds[i - 1] as number))) throw new Error(`histogram ${options.name}: buckets must be finite and strictly increasing`);
    }
    this.bounds = bounds;
  }

  observe(labels: Labels<N>, value: number): void {
    this.observeSeries(this.series.indexOf(labels), value);
  }

  observeSeries(index: number, value: number): void {
    if (Number.isNaN(value)) throw new Error(`histogram ${this.name}: cannot observe NaN`);
    let counts = this.counts[index];
    if (!counts) {
      counts = new Float64Array(this.bounds.length + 1);
      this.counts[index] = counts;
      this.sums[index] = 0;
    }
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && value > (bounds[b] as number)) b++;
    counts[b] = (counts[b] as number) + 1;
    this.sums[index] = (this.sums[index] as number) + value;
  }

  /** The text-exposition shape (what prom-client's histogram gives the registry): `le` first, series labels shared. */
  getForPromString(): Promise<ExportedMetric> {
    return Promise.resolve(this.export((le, labels) => ({ labels: le, sharedLabels: labels })));
  }

  /** The JSON shape (for aggregation): labels merged, as prom-client's `get()` gives. */
  get(): Promise<ExportedMetric> {
    return Promise.resolve(this.export((le, labels) => ({ labels: { ...labels, ...le } })));
  }

  private export(shape: (le: Record<string, string | number>, labels: Record<string, string>) => Pick<ExportedValue, 'labels' | 'sharedLabels'>): ExportedMetric {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    const push = (le: Record<string, string | number>, labels: Record<string, string>, value: number, metricName: string): void => {
      values.push({ ...shape(le, labels), value, metricName });
    };
    this.series.labels.forEach((labels, i) => {
      const counts = this.counts[i];
      if (!counts) return;
      let acc = 0;
      for (let b = 0; b < this.bounds.length; b++) {
        acc += counts[b] as number;
        push({ le: this.bounds[b] as number }, labels, acc, bucketName);
      }
      acc += counts[this.bounds.length] as number;
      push({ le: '+Inf' }, labels, acc, bucketName);
      push({}, labels, this.sums[i] as number, `${this.name}_sum`);
      push({}, labels, acc, `${this.name}_count`);
    });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
