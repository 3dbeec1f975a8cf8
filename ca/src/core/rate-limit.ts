/**
 * Issuance rate limits of the CA: a token bucket per proven identity (SPIFFE id) and one for all
 * callers. A bucket holds at most `burst` tokens and refills continuously at `perSecond`; every
 * certificate takes one token from the caller's bucket and one from the global bucket. A refusal
 * says which limit and how long until a token is back. Pure: the time is passed in.
 *
 * Defaults (ca/README.md): per identity 1/s with a burst of 100 — a Deployment of 100 replicas
 * sharing a service account restarts at once without waiting, a workload renewing every 12 h never
 * comes near it — and 100/s with a burst of 1000 for the whole CA.
 */
import { formatDuration } from '../../../api/src/duration';
import { CaError } from './errors';

export interface RateLimit {
  /** Tokens added per second (may be fractional: 1/m = 0.0166…). */
  perSecond: number;
  /** Bucket size: how many certificates may be issued back to back. */
  burst: number;
}

export interface IssuanceLimits {
  perIdentity: RateLimit;
  global: RateLimit;
}

export const defaultIssuanceLimits: IssuanceLimits = {
  perIdentity: { perSecond: 1, burst: 100 },
  global: { perSecond: 100, burst: 1000 },
};

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600 };
/** Upper bound on a bucket, so a typo (`1e9`) is an error rather than "no limit". */
export const maxBurst = 1_000_000;

/**
 * `RATE/UNIT[:BURST]`, e.g. `1/s:100`, `600/m`, `10/h:5`. Without BURST the bucket holds RATE
 * tokens. Throws CaError('invalid-argument') naming what is wrong.
 */
export function parseRateLimit(text: string): RateLimit {
  const m = /^\s*(\d+)\s*\/\s*([smh])\s*(?::\s*(\d+)\s*)?$/.exec(text);
  const count = m ? Number(m[1]) : NaN;
  const burst = m?.[3] !== undefined ? Number(m[3]) : count;
  if (!m || !(count >= 1) || !(burst >= 1) || burst > maxBurst || count > maxBurst) {
    throw new CaError('invalid-argument', `invalid rate limit "${text}": expected RATE/UNIT[:BURST] with UNIT s, m or h and 1..${maxBurst} (e.g. 1/s:100)`);
  }
  return { perSecond: count / unitSeconds[m[2]!]!, burst };
}

export function formatRateLimit(limit: RateLimit): string {
  const [count, unit] = limit.perSecond >= 1 ? [limit.perSecond, 's'] : limit.perSecond * 60 >= 1 ? [limit.perSecond * 60, 'm'] : [limit.perSecond * 3600, 'h'];
  return `${Math.round(count * 1000) / 1000}/${unit}:${limit.burst}`;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export type LimitVerdict = { ok: true } | { ok: false; scope: 'identity' | 'global'; retryAfterMs: number };

export class IssuanceLimiter {
  private readonly perIdentity = new Map<string, Bucket>();
  private readonly global: Bucket;

  constructor(
    readonly limits: IssuanceLimits = defaultIssuanceLimits,
    nowMs: number,
    /** Identities tracked at most; idle (full) buckets are dropped first. */
    private readonly maxTracked = 10_000,
  ) {
    this.global = { tokens: limits.global.burst, atMs: nowMs };
  }

  /** Takes a token for `identity` and a global one, or says which limit refused and when to retry. */
  take(identity: string, nowMs: number): LimitVerdict {
    let own = this.perIdentity.get(identity);
    if (!own) {
      this.evict(nowMs);
      own = { tokens: this.limits.perIdentity.burst, atMs: nowMs };
      this.perIdentity.set(identity, own);
    }
    refill(own, this.limits.perIdentity, nowMs);
    refill(this.global, this.limits.global, nowMs);
    if (own.tokens < 1) return { ok: false, scope: 'identity', retryAfterMs: waitMs(own, this.limits.perIdentity) };
    if (this.global.tokens < 1) return { ok: false, scope: 'global', retryAfterMs: waitMs(this.global, this.limits.global) };
    own.tokens -= 1;
    this.global.tokens -= 1;
    return { ok: true };
  }

  /** take(), throwing CaError('resource-exhausted') with a message a caller can act on. */
  check(identity: string, nowMs: number): void {
    const verdict = this.take(identity, nowMs);
    if (verdict.ok) return;
    const limit = verdict.scope === 'identity' ? this.limits.perIdentity : this.limits.global;
    const what = verdict.scope === 'identity' ? `the issuance rate limit for ${identity}` : 'the CA\'s global issuance rate limit';
    throw new CaError('resource-exhausted', `${what} (${formatRateLimit(limit)}) is exhausted; retry in ${formatDuration(Math.max(1, Math.ceil(verdict.retryAfterMs)))}`);
  }

  tracked(): number {
    return this.perIdentity.size;
  }

  private evict(nowMs: number): void {
    if (this.perIdentity.size < this.maxTracked) return;
    for (const [id, b] of this.perIdentity) {
      refill(b, this.limits.perIdentity, nowMs);
      if (b.tokens >= this.limits.perIdentity.burst) this.perIdentity.delete(id);
    }
    // Still full of busy identities: forget the oldest (it starts again with a full bucket).
    while (this.perIdentity.size >= this.maxTracked) this.perIdentity.delete(this.perIdentity.keys().next().value!);
  }
}

function refill(b: Bucket, limit: RateLimit, nowMs: number): void {
  if (nowMs > b.atMs) b.tokens = Math.min(limit.burst, b.tokens + ((nowMs - b.atMs) / 1000) * limit.perSecond);
  b.atMs = Math.max(b.atMs, nowMs);
}

function waitMs(b: Bucket, limit: RateLimit): number {
  return ((1 - b.tokens) / limit.perSecond) * 1000;
}
