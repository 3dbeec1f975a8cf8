/**
 * When to renew a workload certificate and how long to wait after a failure. Pure: time and
 * randomness (a number in [0, 1)) are arguments.
 */

export interface RotationOptions {
  /** Fraction of the lifetime after which to renew (0.5 = half-life). */
  renewAt: number;
  /** Spread around renewAt, as a fraction of the lifetime (0.1 → renew between 40 % and 60 %). */
  jitter: number;
  /** Floor of the delay, so a certificate that is already due (or absurdly short) never spins. */
  minDelayMs: number;
}

export const defaultRotation: RotationOptions = { renewAt: 0.5, jitter: 0.1, minDelayMs: 1000 };

/** Milliseconds from `now` until the certificate should be renewed (at least minDelayMs). */
export function renewalDelayMs(cert: { notBefore: Date; notAfter: Date }, now: Date, random: number, options: RotationOptions = defaultRotation): number {
  const start = cert.notBefore.getTime();
  const life = cert.notAfter.getTime() - start;
  const fraction = Math.min(0.95, Math.max(0.05, options.renewAt + options.jitter * (2 * random - 1)));
  return Math.max(options.minDelayMs, start + life * fraction - now.getTime());
}

/**
 * renewalDelayMs for a certificate just received: the CA back-dates not-before for clock skew, so
 * the lifetime we were granted starts now, not at not-before.
 */
export function renewalDelayAfterIssue(cert: { notBefore: Date; notAfter: Date }, now: Date, random: number, options: RotationOptions = defaultRotation): number {
  const granted = { notBefore: new Date(Math.max(cert.notBefore.getTime(), now.getTime())), notAfter: cert.notAfter };
  return renewalDelayMs(granted, now, random, options);
}

/** Node timers take at most 2^31-1 ms; longer delays are cut to that (the timer then fires early). */
export const maxTimerMs = 2 ** 31 - 1;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 60_000 };

/**
 * Exponential backoff with jitter for retry number `attempt` (0-based): a delay in
 * [base/2, base) where base = min(max, initial * 2^attempt).
 */
export function backoffDelayMs(attempt: number, random: number, options: BackoffOptions = defaultBackoff): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (base / 2) * random);
}
