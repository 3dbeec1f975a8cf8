/**
 * Skein's one extension beyond Istio's API: local (per-proxy) rate limiting of inbound requests,
 * set with the pod annotation `traffic.skein.dev/rateLimit` (api/src/names.ts), never with a field
 * Istio does not have. Value: `<requests>` (per second) or `<requests>/<s|m|h>`, e.g. `100`,
 * `100/s`, `6000/m`. The proxy enforces it as a token bucket holding at most `requests` tokens,
 * refilled with `requests` tokens every unit; requests beyond it get HTTP 429.
 */
import { Annotations } from '../names';

export const RateLimitAnnotation = Annotations.rateLimit;

export interface LocalRateLimit {
  /** Bucket size and tokens added per fill. */
  tokens: number;
  /** Time between fills, in milliseconds. */
  fillIntervalMs: number;
}

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };
/** Upper bound on tokens, so that a typo (`1e9`) is an error rather than "no limit". */
export const MaxRateLimitTokens = 1_000_000;

/** Parses the annotation value; throws with a message naming the annotation when it is not valid. */
export function parseRateLimit(value: string): LocalRateLimit {
  const m = /^\s*([1-9][0-9]*)\s*(?:\/\s*([smh]))?\s*$/.exec(value);
  const tokens = m ? Number(m[1]) : NaN;
  if (!m || tokens > MaxRateLimitTokens) {
    throw new Error(
      `invalid ${RateLimitAnnotation} "${value}": expected <requests> or <requests>/<s|m|h> with 1..${MaxRateLimitTokens} requests, e.g. "100/s"`,
    );
  }
  return { tokens, fillIntervalMs: units[m[2] ?? 's']! };
}
