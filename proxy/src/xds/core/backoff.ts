/** Reconnect delays (pure): exponential with "equal jitter" — half fixed, half random — capped. */
export interface BackoffPolicy {
  /** First delay before jitter. Default 500 ms. */
  baseMs: number;
  /** Cap before jitter. Default 30 s. */
  maxMs: number;
}

export const DefaultBackoff: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/** Delay before reconnect attempt `attempt` (0-based); `random()` in [0, 1). Always in [cap/2, cap). */
export function backoffDelayMs(attempt: number, random: () => number, policy: BackoffPolicy = DefaultBackoff): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(cap / 2 + random() * (cap / 2));
}
