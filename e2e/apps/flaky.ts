/**
 * Misbehaviour on demand for retry, timeout and outlier-detection journeys. A policy decides, for
 * the n-th request (1-based), whether to answer, fail (HTTP 503 / gRPC UNAVAILABLE / TCP reset) or
 * hang (never answer). Deterministic: `failPercent: 25` fails exactly requests 4, 8, 12, …
 */

export interface FlakyPolicy {
  /** Fail the first N requests. */
  failFirst: number;
  /** Then fail this percentage of requests, spread evenly. */
  failPercent: number;
  /** Never answer the first N requests (0 = none; Infinity = hang always). */
  hangFirst: number;
}

export type Verdict = 'answer' | 'fail' | 'hang';

export const steadyPolicy: FlakyPolicy = { failFirst: 0, failPercent: 0, hangFirst: 0 };

export function checkPolicy(policy: FlakyPolicy): FlakyPolicy {
  if (!Number.isInteger(policy.failFirst) || policy.failFirst < 0) throw new Error(`--fail-first must be a whole number ≥ 0, got ${policy.failFirst}`);
  if (!(policy.failPercent >= 0 && policy.failPercent <= 100)) throw new Error(`--fail-percent must be between 0 and 100, got ${policy.failPercent}`);
  if (!(policy.hangFirst === Infinity || (Number.isInteger(policy.hangFirst) && policy.hangFirst >= 0))) {
    throw new Error(`--hang-first must be a whole number ≥ 0, got ${policy.hangFirst}`);
  }
  return policy;
}

export function verdict(policy: FlakyPolicy, n: number): Verdict {
  if (n <= policy.hangFirst) return 'hang';
  if (n <= policy.failFirst) return 'fail';
  // Multiply before dividing: 0.29 * 100 is 28.999…, 29 * 100 / 100 is 29.
  const failedBy = (k: number) => Math.floor((k * policy.failPercent) / 100);
  return failedBy(n) > failedBy(n - 1) ? 'fail' : 'answer';
}

/** Counts requests and hands out verdicts; one per server so each protocol counts its own. */
export class FlakyCounter {
  private n = 0;
  constructor(private readonly policy: FlakyPolicy) {}
  next(): Verdict {
    return verdict(this.policy, ++this.n);
  }
}
