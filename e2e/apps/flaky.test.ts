import { checkPolicy, FlakyCounter, steadyPolicy, verdict, type FlakyPolicy } from './flaky';

const first = (policy: FlakyPolicy, n: number) => {
  const counter = new FlakyCounter(policy);
  return Array.from({ length: n }, () => counter.next());
};

describe('flaky policy', () => {
  it('answers everything when steady', () => {
    expect(first(steadyPolicy, 5)).toEqual(Array(5).fill('answer'));
  });

  it('fails the first N requests, then answers', () => {
    expect(first({ ...steadyPolicy, failFirst: 2 }, 4)).toEqual(['fail', 'fail', 'answer', 'answer']);
  });

  it.each([[25, 4, 1], [10, 100, 10], [29, 100, 29], [50, 10, 5], [100, 7, 7], [0, 50, 0]])('fails exactly %d%% evenly (%d requests → %d failures)', (pct, n, failures) => {
    const verdicts = first({ ...steadyPolicy, failPercent: pct }, n);
    expect(verdicts.filter((v) => v === 'fail')).toHaveLength(failures);
  });

  it('hangs the first N, or always', () => {
    expect(first({ ...steadyPolicy, hangFirst: 1, failFirst: 2 }, 3)).toEqual(['hang', 'fail', 'answer']);
    expect(verdict({ ...steadyPolicy, hangFirst: Infinity }, 1_000_000)).toBe('hang');
  });

  it.each([
    [{ failFirst: -1 }, /--fail-first/],
    [{ failFirst: 1.5 }, /--fail-first/],
    [{ failPercent: 101 }, /--fail-percent/],
    [{ failPercent: NaN }, /--fail-percent/],
    [{ hangFirst: -2 }, /--hang-first/],
  ])('rejects %j', (bad, message) => {
    expect(() => checkPolicy({ ...steadyPolicy, ...bad })).toThrow(message);
  });
});
