/**
 * Typed CA errors. Each kind says who is at fault and maps to one gRPC status code in
 * ca/src/service/status.ts; messages are safe to return to the caller (no secrets, no tokens).
 */
export type CaErrorKind =
  /** Malformed CSR, disallowed key type, bad TTL. gRPC INVALID_ARGUMENT. */
  | 'invalid-argument'
  /** Missing, malformed, forged or expired credential. gRPC UNAUTHENTICATED. */
  | 'unauthenticated'
  /** The caller proved an identity but asked for another one. gRPC PERMISSION_DENIED. */
  | 'permission-denied'
  /** The CA cannot sign right now (e.g. its own certificate has expired). gRPC FAILED_PRECONDITION. */
  | 'failed-precondition'
  /** A dependency (e.g. the Kubernetes TokenReview API) is unreachable. gRPC UNAVAILABLE. */
  | 'unavailable'
  /** An issuance rate limit (per identity or global) is exhausted; retry later. gRPC RESOURCE_EXHAUSTED. */
  | 'resource-exhausted';

export class CaError extends Error {
  override name = 'CaError';
  constructor(
    readonly kind: CaErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function isCaError(err: unknown, kind?: CaErrorKind): err is CaError {
  return err instanceof CaError && (kind === undefined || err.kind === kind);
}
