import { Debouncer } from './debounce';

describe('Debouncer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires once after 100 ms of quiet with the number of changes', () => {
    const fired: number[] = [];
    const d = new Debouncer((n) => fired.push(n));
    d.poke();
    jest.advanceTimersByTime(50);
    d.poke();
    d.poke();
    jest.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([3]);
    jest.advanceTimersByTime(5000);
    expect(fired).toEqual([3]);
  });

  it('fires at most 10 s after the first change of a steady stream (Istio PILOT_DEBOUNCE_MAX)', () => {
    const fired: number[] = [];
    const d = new Debouncer((n) => fired.push(n));
    for (let t = 0; t < 10_000; t += 50) {
      d.poke();
      jest.advanceTimersByTime(50);
    }
    expect(fired).toEqual([200]);
    d.cancel();
  });

  it('flush fires pending changes immediately; nothing pending fires nothing', () => {
    const fired: number[] = [];
    const d = new Debouncer((n) => fired.push(n));
    d.flush();
    d.poke();
    d.flush();
    expect(fired).toEqual([1]);
  });

  it.each([[{ quietMs: 0, maxMs: 10 }], [{ quietMs: 100, maxMs: 50 }]])('rejects %j', (o) => {
    expect(() => new Debouncer(() => undefined, o)).toThrow(/quietMs/);
  });
});
