import { OutlierDetector, type OutlierSettings, hostResultForStatus, usableHosts } from './outlier';

const settings = (over: Partial<OutlierSettings> = {}): OutlierSettings => ({
  consecutive5xx: 3,
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 100,
  ...over,
});

describe('hostResultForStatus', () => {
  it.each<[number, string]>([[200, 'success'], [404, 'success'], [500, 'error-5xx'], [502, 'gateway-error'], [503, 'gateway-error'], [504, 'gateway-error'], [501, 'error-5xx']])(
    '%d → %s', (s, r) => expect(hostResultForStatus(s)).toBe(r));
});

describe('OutlierDetector', () => {
  it('ejects after N consecutive 5xx; a success in between resets the count', () => {
    const d = new OutlierDetector(settings());
    expect(d.record('a', 'error-5xx', 0, 4)).toBe(false);
    expect(d.record('a', 'error-5xx', 0, 4)).toBe(false);
    d.record('a', 'success', 0, 4);
    d.record('a', 'error-5xx', 0, 4);
    d.record('a', 'error-5xx', 0, 4);
    expect(d.isEjected('a')).toBe(false);
    expect(d.record('a', 'error-5xx', 0, 4)).toBe(true);
    expect(d.isEjected('a')).toBe(true);
    expect(d.ejected).toBe(1);
  });

  it('consecutive gateway errors eject on their own threshold; 500s break the gateway run', () => {
    const d = new OutlierDetector(settings({ consecutive5xx: 0, consecutiveGatewayErrors: 2 }));
    d.record('a', 'gateway-error', 0, 2);
    d.record('a', 'error-5xx', 0, 2);
    d.record('a', 'gateway-error', 0, 2);
    expect(d.isEjected('a')).toBe(false);
    expect(d.record('a', 'gateway-error', 0, 2)).toBe(true);
  });

  it('thresholds of 0 disable detection', () => {
    const d = new OutlierDetector(settings({ consecutive5xx: 0 }));
    for (let i = 0; i < 100; i++) d.record('a', 'gateway-error', 0, 1);
    expect(d.isEjected('a')).toBe(false);
  });

  it('returns the host on the first sweep after base ejection time, and the next ejection lasts longer', () => {
    const d = new OutlierDetector(settings());
    for (let i = 0; i < 3; i++) d.record('a', 'error-5xx', 0, 4);
    expect(d.sweep(10_000)).toEqual([]);
    expect(d.sweep(30_000)).toEqual(['a']);
    expect(d.isEjected('a')).toBe(false);
    for (let i = 0; i < 3; i++) d.record('a', 'error-5xx', 30_000, 4);
    expect(d.sweep(80_000)).toEqual([]); // 2 × 30 s = 60 s
    expect(d.sweep(90_000)).toEqual(['a']);
  });

  it('ejection time shrinks again while the host stays healthy, and is capped by maxEjectionTime', () => {
    const d = new OutlierDetector(settings({ maxEjectionTimeMs: 50_000 }));
    const eject = (now: number) => { for (let i = 0; i < 3; i++) d.record('a', 'error-5xx', now, 4); };
    eject(0);
    d.sweep(30_000);
    eject(30_000); // 2nd ejection: min(60 s, 50 s cap)
    expect(d.sweep(79_999)).toEqual([]);
    expect(d.sweep(80_000)).toEqual(['a']);
    d.sweep(90_000); // healthy sweeps decay the multiplier 2 → 0
    d.sweep(100_000);
    eject(100_000);
    expect(d.sweep(130_000)).toEqual(['a']); // back to base 30 s
  });

  it('never ejects more than maxEjectionPercent, but always allows the first ejection', () => {
    const d = new OutlierDetector(settings({ maxEjectionPercent: 10 }));
    for (const h of ['a', 'b']) for (let i = 0; i < 3; i++) d.record(h, 'error-5xx', 0, 4);
    expect(d.isEjected('a')).toBe(true);
    expect(d.isEjected('b')).toBe(false);
    const half = new OutlierDetector(settings({ maxEjectionPercent: 50 }));
    for (const h of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) half.record(h, 'error-5xx', 0, 4);
    expect(['a', 'b', 'c'].map((h) => half.isEjected(h))).toEqual([true, true, false]);
  });

  it('forgets hosts that left the cluster, freeing their ejection slot', () => {
    const d = new OutlierDetector(settings({ maxEjectionPercent: 10 }));
    for (let i = 0; i < 3; i++) d.record('a', 'error-5xx', 0, 4);
    d.retain(['b', 'c']);
    expect(d.ejected).toBe(0);
    for (let i = 0; i < 3; i++) d.record('b', 'error-5xx', 0, 3);
    expect(d.isEjected('b')).toBe(true);
  });
});

describe('usableHosts (panic threshold)', () => {
  const hosts = ['a', 'b', 'c', 'd'];
  it.each<[string[], number, string[], boolean]>([
    [[], 50, ['a', 'b', 'c', 'd'], false],
    [['a'], 50, ['b', 'c', 'd'], false],
    [['a', 'b'], 50, ['c', 'd'], false],
    [['a', 'b', 'c'], 50, ['a', 'b', 'c', 'd'], true],
    [['a', 'b', 'c'], 0, ['d'], false],
    [['a', 'b', 'c', 'd'], 0, [], false],
  ])('ejected %j, panic %d%% → %j (panic %s)', (ejected, panic, want, wantPanic) => {
    const r = usableHosts(hosts, (h) => ejected.includes(h), panic);
    expect(r).toEqual({ hosts: want, panic: wantPanic });
  });
});
