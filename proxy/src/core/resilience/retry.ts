/**
 * Retry decisions (pure): which attempt outcomes are retriable under an Envoy `retry_on` list,
 * the jittered exponential back-off between attempts, the retry budget that keeps retries from
 * amplifying an outage, and the safety rules for request bodies and non-idempotent methods.
 * docs/resilience.md states the rules; time and randomness are passed in.
 */
import type { RetryPolicy } from '../../config/model';

/** What one upstream attempt produced, as far as retrying cares. */
export type AttemptOutcome =
  /** Response headers arrived. `grpcStatus` only when it was in the headers (gRPC trailers-only). */
  | { kind: 'response'; status: number; grpcStatus?: number }
  /** No connection to the endpoint (refused, unreachable, TLS failure, connect timeout): nothing was sent. */
  | { kind: 'connect-failure' }
  /** HTTP/2 REFUSED_STREAM: the upstream did not process the request. */
  | { kind: 'refused-stream' }
  /** Connection reset/closed after the request was sent, before response headers. */
  | { kind: 'reset' }
  /** The per-try timeout expired before response headers. */
  | { kind: 'per-try-timeout' };

/** Envoy's default back-off: 25 ms base interval, 10 × base maximum. */
export const DefaultBackoffBaseMs = 25;
export const DefaultBackoffMaxMs = 250;
/** The largest request body buffered so that the request can be replayed on retry. */
export const DefaultRetryBufferBytes = 64 * 1024;

/** gRPC status names accepted in retry_on, and their codes. */
const grpcRetryOn: Record<string, number> = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  internal: 13,
  unavailable: 14,
};

/** Every retry_on condition this module implements; anything else is rejected at validation. */
export const RetryOnTokens: ReadonlySet<string> = new Set([
  '5xx', 'gateway-error', 'reset', 'connect-failure', 'refused-stream', 'retriable-4xx', 'retriable-status-codes', ...Object.keys(grpcRetryOn),
]);

const gatewayStatuses = new Set([502, 503, 504]);

/**
 * Methods whose repetition has no extra effect (RFC 9110 §9.2.2). Other methods (POST, PATCH,
 * CONNECT, unknown) are retried only when the request provably never reached the upstream, or —
 * for gRPC calls, which are all POST — when the call ended with a gRPC status retryOn names.
 */
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** The outcome is a gRPC status the policy names (`unavailable`, …): an explicit request to retry that call. */
export function grpcConditionMatched(policy: Pick<RetryPolicy, 'retryOn'>, outcome: AttemptOutcome): boolean {
  if (outcome.kind !== 'response' || outcome.grpcStatus === undefined) return false;
  return Object.entries(grpcRetryOn).some(([token, code]) => code === outcome.grpcStatus && policy.retryOn.includes(token));
}

/** True when `outcome` is retriable under the policy's retry_on tokens (method and body aside). */
export function retriableOutcome(policy: Pick<RetryPolicy, 'retryOn' | 'retriableStatusCodes'>, outcome: AttemptOutcome): boolean {
  const on = new Set(policy.retryOn);
  const anyOf = (...tokens: string[]): boolean => tokens.some((t) => on.has(t));
  switch (outcome.kind) {
    case 'connect-failure':
      return anyOf('connect-failure', 'reset', '5xx', 'gateway-error');
    case 'refused-stream':
      return anyOf('refused-stream', 'reset', '5xx', 'gateway-error');
    case 'reset':
    case 'per-try-timeout':
      return anyOf('reset', '5xx', 'gateway-error');
    case 'response': {
      const s = outcome.status;
      if (s >= 500 && on.has('5xx')) return true;
      if (gatewayStatuses.has(s) && on.has('gateway-error')) return true;
      if (s === 409 && on.has('retriable-4xx')) return true;
      if (on.has('retriable-status-codes') && (policy.retriableStatusCodes ?? []).includes(s)) return true;
      return grpcConditionMatched(policy, outcome);
    }
  }
}

/** The request never reached the upstream application, so even a non-idempotent request is safe to resend. */
export function requestNotProcessed(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'connect-failure' || outcome.kind === 'refused-stream';
}

export function isIdempotent(method: string): boolean {
  return idempotentMethods.has(method.toUpperCase());
}

/**
 * Envoy's jittered exponential back-off: uniform in [0, min((2^n − 1) × base, max)) for retry
 * number n (1-based).
 */
export function backoffMs(retryNumber: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min((2 ** Math.min(retryNumber, 30) - 1) * baseMs, maxMs);
  return Math.floor(random() * ceiling);
}

/** Envoy circuit_breakers.thresholds.retry_budget: retries may be at most this share of active requests. */
export interface RetryBudget {
  /** Percent of active requests (default 20). */
  budgetPercent: number;
  /** Retries always allowed concurrently regardless of the percentage (default 3). */
  minRetryConcurrency: number;
}

/**
 * Whether one more concurrent retry fits: under a budget, `max(minRetryConcurrency,
 * budgetPercent% of active requests)`; without one, the breaker's `maxRetries`.
 */
export function retryAllowed(activeRetries: number, activeRequests: number, budget: RetryBudget | undefined, maxRetries: number): boolean {
  if (!budget) return activeRetries < maxRetries;
  const limit = Math.max(budget.minRetryConcurrency, Math.floor((budget.budgetPercent / 100) * activeRequests));
  return activeRetries < limit;
}

export type RetryVerdict =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not-retriable' | 'exhausted' | 'method' | 'body' | 'overflow' };

export interface RetryContext {
  method: string;
  /** A gRPC call (content-type application/grpc): gRPC status conditions in retryOn count as explicit. */
  grpc?: boolean;
  /**
   * Whether the request can be sent again: it had no body, or the whole body is buffered (within
   * the buffer limit). A body already streamed upstream without a copy cannot be replayed.
   */
  replayable: boolean;
  /** Budget / breaker check for one more concurrent retry; consulted last. */
  admit(): boolean;
  random(): number;
}

/**
 * Per-request retry state: feed it each failed attempt's outcome; it says whether to try again
 * and after how long. Response-flag `URX` applies when `exhausted` is the verdict after retries.
 */
export class RetryState {
  private retries = 0;
  constructor(private readonly policy: RetryPolicy) {}

  /** Retries started so far. */
  get retriesDone(): number {
    return this.retries;
  }

  next(outcome: AttemptOutcome, ctx: RetryContext): RetryVerdict {
    if (!retriableOutcome(this.policy, outcome)) return { retry: false, reason: 'not-retriable' };
    if (this.retries >= this.policy.numRetries) return { retry: false, reason: 'exhausted' };
    if (!isIdempotent(ctx.method) && !requestNotProcessed(outcome) && !(ctx.grpc && grpcConditionMatched(this.policy, outcome))) return { retry: false, reason: 'method' };
    if (!ctx.replayable) return { retry: false, reason: 'body' };
    if (!ctx.admit()) return { retry: false, reason: 'overflow' };
    this.retries++;
    const base = this.policy.backoffBaseMs ?? DefaultBackoffBaseMs;
    const max = this.policy.backoffMaxMs ?? base * 10;
    return { retry: true, delayMs: backoffMs(this.retries, base, max, ctx.random) };
  }
}
