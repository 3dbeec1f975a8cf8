import { type Sample } from './prom-text';
import { histogramQuantile, trimWindow, windowIncreases, type Scrape } from './window';

const c = (value: number, labels: Record<string, string> = { code: '200' }): Sample => ({ name: 'req_total', labels, value });
const scrape = (at: number, ...samples: Sample[]): Scrape => ({ at, samples });

describe('windowIncreases (fake time)', () => {
  it.each<[string, Scrape[], number, number | undefined]>([
    ['one scrape: nothing to compare yet', [scrape(0, c(5))], 0, undefined],
    ['a steady counter', [scrape(0, c(10)), scrape(2000, c(30)), scrape(4000, c(50))], 4, 40],
    ['a counter reset (proxy restarted): the new value is all increase', [scrape(0, c(100)), scrape(2000, c(110)), scrape(4000, c(5))], 4, 15],
    ['a series that appears mid-window counts from 0', [scrape(0), scrape(2000, c(7)), scrape(4000, c(9))], 4, 9],
    ['a series that vanished is not negative', [scrape(0, c(7)), scrape(2000), scrape(4000, c(9))], 4, 9],
    ['an idle counter', [scrape(0, c(3)), scrape(2000, c(3))], 2, 0],
  ])('%s', (_name, scrapes, seconds, increase) => {
    const w = windowIncreases(scrapes);
    expect(w.seconds).toBe(seconds);
    expect(w.increases.find((i) => i.labels.code === '200')?.value).toBe(increase);
  });

  it('keeps series with different labels apart, whatever the label order', () => {
    const w = windowIncreases([
      scrape(0, c(1, { code: '200', r: 'a' }), c(1, { code: '503', r: 'a' })),
      scrape(1000, { name: 'req_total', labels: { r: 'a', code: '200' }, value: 4 }, c(2, { code: '503', r: 'a' })),
    ]);
    expect(w.increases.map((i) => [i.labels.code, i.value]).sort()).toEqual([['200', 3], ['503', 1]]);
  });

  it('trims scrapes older than the window', () => {
    const all = [scrape(0), scrape(2000), scrape(4000), scrape(12_000)];
    expect(trimWindow(all, 12_000, 10_000).map((s) => s.at)).toEqual([2000, 4000, 12_000]);
  });
});

describe('histogramQuantile (Prometheus rules)', () => {
  const buckets = [{ le: 1, count: 10 }, { le: 5, count: 60 }, { le: 10, count: 100 }, { le: Infinity, count: 100 }];
  it.each([
    ['the median inside a bucket, interpolated', 0.5, buckets, 4.2],
    ['a low quantile in the first bucket (from 0)', 0.05, buckets, 0.5],
    ['p99', 0.99, buckets, 9.875],
    ['a rank in +Inf answers the highest finite bound', 0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }], 1],
    ['no observations', 0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }], undefined],
    ['no +Inf bucket', 0.5, [{ le: 1, count: 3 }], undefined],
    ['a torn scrape (counts going down) is made monotonic', 0.75, [{ le: 1, count: 4 }, { le: 2, count: 3 }, { le: 3, count: 8 }, { le: Infinity, count: 8 }], 2.5],
  ])('%s', (_name, q, b, expected) => {
    const v = histogramQuantile(q, b);
    if (expected === undefined) expect(v).toBeUndefined();
    else expect(v).toBeCloseTo(expected, 6);
  });
});
