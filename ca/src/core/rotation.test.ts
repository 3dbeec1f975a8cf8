import { backoffDelayMs, renewalDelayMs } from './rotation';

const h = 3_600_000;
const cert = { notBefore: new Date(0), notAfter: new Date(24 * h) };

describe('renewalDelayMs', () => {
  it.each([
    ['middle of the jitter range → half-life', 0.5, 12 * h],
    ['lowest random → 40 %', 0, 0.4 * 24 * h],
    ['highest random → just under 60 %', 0.999999, 0.6 * 24 * h],
  ])('%s', (_n, random, at) => {
    expect(renewalDelayMs(cert, new Date(0), random)).toBeCloseTo(at, -2);
  });

  it('counts from now, and never goes below the 1 s floor (an expired or tiny certificate does not spin)', () => {
    expect(renewalDelayMs(cert, new Date(10 * h), 0.5)).toBe(2 * h);
    expect(renewalDelayMs(cert, new Date(20 * h), 0.5)).toBe(1000);
    expect(renewalDelayMs({ notBefore: new Date(0), notAfter: new Date(10) }, new Date(0), 0.5)).toBe(1000);
    expect(renewalDelayMs({ notBefore: new Date(10), notAfter: new Date(0) }, new Date(0), 0.5)).toBe(1000);
  });

  it('spreads renewals of certificates issued together', () => {
    const delays = new Set([0.1, 0.3, 0.7, 0.9].map((r) => renewalDelayMs(cert, new Date(0), r)));
    expect(delays.size).toBe(4);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [0, 0, 250],
    [0, 0.999, 500],
    [1, 0, 500],
    [3, 0, 2000],
    [10, 0, 30_000],
    [10, 1, 60_000],
    [1000, 1, 60_000],
  ])('attempt %d, random %d → %d ms', (attempt, random, ms) => {
    expect(backoffDelayMs(attempt, random)).toBe(Math.round(ms));
  });
});
