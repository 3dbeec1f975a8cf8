import { binomialAcceptance } from './binomial';

describe('binomial acceptance interval of a weighted split', () => {
  it.each([
    // n, p, alpha → the interval; each tail at most alpha/2
    [200, 0.1, 1e-6, 3, 43], // checked with Python: math.comb, exact tails
    [200, 0.5, 1e-6, 66, 134],
    [1000, 0.1, 1e-6, 57, 149],
    [10, 0.5, 0.05, 2, 8],
  ])('n=%d p=%d alpha=%d → [%d, %d]', (n, p, alpha, lo, hi) => {
    const r = binomialAcceptance(n, p, alpha);
    expect([r.lo, r.hi]).toEqual([lo, hi]);
    expect(r.below).toBeLessThanOrEqual(alpha / 2);
    expect(r.above).toBeLessThanOrEqual(alpha / 2);
  });

  it('a 90/10 split over 200 requests is told apart from 50/50 and from 100/0', () => {
    const r = binomialAcceptance(200, 0.1, 1e-6);
    expect(100).toBeGreaterThan(r.hi); // 50/50 lands near 100
    expect(0).toBeLessThan(r.lo); // no traffic on the 10% side is a failure
  });

  it.each([
    [0, 0.1, 0.01, /n must be/],
    [10, 0, 0.01, /p must be/],
    [10, 1, 0.01, /p must be/],
    [10, 0.5, 0, /alpha must be/],
  ])('refuses n=%d p=%d alpha=%d', (n, p, alpha, message) => {
    expect(() => binomialAcceptance(n, p, alpha)).toThrow(message);
  });
});
