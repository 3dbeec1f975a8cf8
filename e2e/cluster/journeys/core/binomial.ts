/**
 * How many of n weighted requests may land on a destination of weight p before the split is
 * wrong: the acceptance interval [lo, hi] of a binomial(n, p) count with each tail at most
 * alpha/2. A correct 90/10 split falls outside it with probability at most alpha — the journeys
 * take alpha = 1e-6, so a correct mesh fails the check about once in a million runs. Pure.
 */

/** P(X = k) for X ~ binomial(n, p), in log space (stable for n in the thousands). */
function logPmf(n: number, p: number, k: number): number {
  let logChoose = 0;
  for (let i = 1; i <= k; i++) logChoose += Math.log(n - k + i) - Math.log(i);
  return logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p);
}

export interface Interval {
  lo: number;
  hi: number;
  /** P(X < lo) and P(X > hi) under the expected weight. */
  below: number;
  above: number;
}

export function binomialAcceptance(n: number, p: number, alpha: number): Interval {
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer, got ${n}`);
  if (!(p > 0 && p < 1)) throw new Error(`p must be in (0, 1), got ${p}`);
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${alpha}`);
  const pmf = Array.from({ length: n + 1 }, (_, k) => Math.exp(logPmf(n, p, k)));
  let lo = 0;
  let below = 0;
  while (lo < n && below + pmf[lo]! <= alpha / 2) below += pmf[lo++]!;
  let hi = n;
  let above = 0;
  while (hi > lo && above + pmf[hi]! <= alpha / 2) above += pmf[hi--]!;
  return { lo, hi, below, above };
}
