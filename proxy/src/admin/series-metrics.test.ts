import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram, SeriesIndex } from './series-metrics';

const labelNames = ['reporter', 'response_code'] as const;
const buckets = [0.5, 1, 5, 10];

/** The same observations on prom-client metrics and on Series metrics; both registries' text. */
async function bothTexts(record: (c: { inc(l: Record<string, string>, v?: number): void }, h: { observe(l: Record<string, string>, v: number): void }) => void): Promise<[string, string]> {
  const reference = new Registry();
  const refCounter = new Counter({ name: 't_requests_total', help: 'requests', labelNames, registers: [reference] });
  const refHistogram = new Histogram({ name: 't_duration_ms', help: 'duration', labelNames, buckets, registers: [reference] });
  record({ inc: (l, v) => refCounter.inc(l, v) }, { observe: (l, v) => refHistogram.observe(l, v) });

  const fast = new Registry();
  const index = new SeriesIndex(labelNames);
  const counter = new SeriesCounter({ name: 't_requests_total', help: 'requests', labelNames, index, registers: [fast] });
  const histogram = new SeriesHistogram({ name: 't_duration_ms', help: 'duration', labelNames, buckets, index, registers: [fast] });
  const typed = (l: Record<string, string>): Record<(typeof labelNames)[number], string> => ({ reporter: l.reporter ?? '', response_code: l.response_code ?? '' });
  record({ inc: (l, v) => counter.inc(typed(l), v) }, { observe: (l, v) => histogram.observe(typed(l), v) });
  return [await reference.metrics(), await fast.metrics()];
}

describe('Series metrics', () => {
  it.each([
    ['no observations', () => undefined],
    ['one series', (c: { inc(l: Record<string, string>, v?: number): void }, h: { observe(l: Record<string, string>, v: number): void }) => {
      c.inc({ reporter: 'source', response_code: '200' });
      h.observe({ reporter: 'source', response_code: '200' }, 0.2);
    }],
    ['several series, bucket edges, overflow, increments > 1', (c: { inc(l: Record<string, string>, v?: number): void }, h: { observe(l: Record<string, string>, v: number): void }) => {
      for (const [code, v] of [['200', 0.5], ['200', 1], ['503', 7], ['200', 10], ['200', 11], ['503', 0], ['200', 1e6]] as const) {
        c.inc({ reporter: 'destination', response_code: code }, 2);
        h.observe({ reporter: 'destination', response_code: code }, v);
      }
    }],
    ['label values needing escapes', (c: { inc(l: Record<string, string>, v?: number): void }, h: { observe(l: Record<string, string>, v: number): void }) => {
      c.inc({ reporter: 'a"b\\c\nd', response_code: '' });
      h.observe({ reporter: 'a"b\\c\nd', response_code: '' }, 3);
    }],
  ])('scrape text equals prom-client for %s', async (_name, record) => {
    const [reference, fast] = await bothTexts(record);
    expect(fast).toBe(reference);
  });

  it('gives merged labels from get() (the JSON shape cluster aggregation uses), like prom-client', async () => {
    const reference = new Histogram({ name: 'h', help: 'h', labelNames: ['a'], buckets: [1], registers: [] });
    reference.observe({ a: 'x' }, 2);
    const fast = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['a'] as const, buckets: [1] });
    fast.observe({ a: 'x' }, 2);
    const strip = (m: { values: { labels: object; value: number; metricName?: string }[] }): unknown => m.values.map(({ labels, value, metricName }) => ({ labels: { ...labels }, value, metricName }));
    expect(strip(await fast.get())).toEqual(strip(await reference.get()));
  });

  it('keeps label tuples apart even when joined values would collide', async () => {
    const c = new SeriesCounter({ name: 'c', help: 'c', labelNames: ['a', 'b'] as const });
    c.inc({ a: 'x', b: 'y' });
    c.inc({ a: 'x', b: 'y' });
    c.inc({ a: 'xy', b: '' });
    expect((await c.get()).values).toEqual([{ labels: { a: 'x', b: 'y' }, value: 2 }, { labels: { a: 'xy', b: '' }, value: 1 }]);
  });

  it.each([
    ['a missing label', () => new SeriesCounter({ name: 'c', help: 'c', labelNames: ['a', 'b'] as const }).inc({ a: 'x' } as { a: string; b: string }), /label 'b' is missing/],
    ['a negative counter increment', () => new SeriesCounter({ name: 'c', help: 'c', labelNames: ['a'] as const }).inc({ a: 'x' }, -1), /can only increase/],
    ['a NaN counter increment', () => new SeriesCounter({ name: 'c', help: 'c', labelNames: ['a'] as const }).inc({ a: 'x' }, NaN), /can only increase/],
    ['a NaN observation', () => new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['a'] as const, buckets: [1] }).observe({ a: 'x' }, NaN), /cannot observe NaN/],
    ['unsorted buckets', () => new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['a'] as const, buckets: [5, 1] }), /strictly increasing/],
    ['an infinite bucket', () => new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['a'] as const, buckets: [1, Infinity] }), /finite/],
  ])('rejects %s with a clear error', (_name, bad, message) => {
    expect(bad).toThrow(message);
  });

  it('a rejected increment leaves the series unchanged', async () => {
    const c = new SeriesCounter({ name: 'c', help: 'c', labelNames: ['a'] as const });
    c.inc({ a: 'x' }, 3);
    expect(() => c.inc({ a: 'x' }, -1)).toThrow();
    expect((await c.get()).values).toEqual([{ labels: { a: 'x' }, value: 3 }]);
  });
});
