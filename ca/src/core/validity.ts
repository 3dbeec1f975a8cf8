/**
 * Validity windows of issued certificates. One rule, used by the gRPC service and the CLI:
 * - TTL 0/absent means the default (24 h); a TTL above the maximum (90 d) is refused with
 *   INVALID_ARGUMENT rather than silently clamped, so a caller never gets less than it asked for
 *   without being told (docs/adr/0002 and ca/README.md);
 * - not-before is back-dated (5 min) for clock skew between CA and peers;
 * - not-after never exceeds the issuing CA certificate's own not-after (that cap is silent: it is
 *   the CA's limit, not the caller's mistake, and the caller reads not-after from the certificate).
 */
import { formatDuration } from '../../../api/src/duration';
import { CaError } from './errors';

export interface ValidityPolicy {
  defaultTtlMs: number;
  maxTtlMs: number;
  /** How far not-before is set in the past. */
  backdateMs: number;
}

export const defaultValidityPolicy: ValidityPolicy = {
  defaultTtlMs: 24 * 3_600_000,
  maxTtlMs: 90 * 86_400_000,
  backdateMs: 5 * 60_000,
};

export const minTtlMs = 1000;

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export function leafValidity(policy: ValidityPolicy, now: Date, requestedTtlMs: number | undefined, issuer: Validity): Validity {
  const ttl = requestedTtlMs === undefined || requestedTtlMs === 0 ? policy.defaultTtlMs : requestedTtlMs;
  if (!Number.isFinite(ttl) || ttl < minTtlMs) {
    throw new CaError('invalid-argument', `invalid TTL ${requestedTtlMs} ms: must be at least ${formatDuration(minTtlMs)} (0 means the default ${formatDuration(policy.defaultTtlMs)})`);
  }
  if (ttl > policy.maxTtlMs) {
    throw new CaError('invalid-argument', `requested TTL ${formatDuration(ttl)} exceeds the maximum ${formatDuration(policy.maxTtlMs)}`);
  }
  if (issuer.notAfter.getTime() <= now.getTime()) {
    throw new CaError('failed-precondition', `the CA certificate expired at ${issuer.notAfter.toISOString()}; rotate the CA`);
  }
  if (issuer.notBefore.getTime() > now.getTime()) {
    throw new CaError('failed-precondition', `the CA certificate is not valid before ${issuer.notBefore.toISOString()}; check the clock`);
  }
  const notBefore = new Date(Math.max(now.getTime() - policy.backdateMs, issuer.notBefore.getTime()));
  const notAfter = new Date(Math.min(now.getTime() + ttl, issuer.notAfter.getTime()));
  return { notBefore, notAfter };
}
