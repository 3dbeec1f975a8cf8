/**
 * Endpoint choice around outlier ejection and retries (pure): asks the cluster's load balancer
 * again while it proposes an ejected endpoint or one a retry wants to avoid (Envoy's
 * previous_hosts predicate, which Istio sets on every route), and applies the panic threshold:
 * below `panicThresholdPercent` non-ejected endpoints, ejection is ignored.
 */
import { usableHosts } from './outlier';

export interface AvoidingPick<T> {
  /** The load balancer's next proposal. */
  pick(): T | undefined;
  /** Every endpoint the cluster has. */
  all: readonly T[];
  key(t: T): string;
  ejected(key: string): boolean;
  /** Hosts already tried by this request; avoided when another choice exists. */
  tried?: ReadonlySet<string>;
  panicThresholdPercent: number;
  /** Upper bound on proposals asked for (Envoy host_selection_retry_max_attempts is 5). */
  maxProposals?: number;
}

export function pickAvoiding<T>(p: AvoidingPick<T>): T | undefined {
  const { hosts: usable } = usableHosts(p.all, (h) => p.ejected(p.key(h)), p.panicThresholdPercent);
  if (usable.length === 0) return undefined;
  const allowed = new Set(usable.map(p.key));
  const fresh = (t: T): boolean => !p.tried?.has(p.key(t));
  const anyFresh = usable.some(fresh);
  const limit = p.maxProposals ?? Math.max(5, p.all.length * 2);
  let fallback: T | undefined;
  for (let i = 0; i < limit; i++) {
    const t = p.pick();
    if (t === undefined) break;
    if (!allowed.has(p.key(t))) continue;
    if (!anyFresh || fresh(t)) return t;
    fallback ??= t;
  }
  // The balancer kept proposing excluded hosts (ring hash sticks to one): take any allowed one.
  return usable.find(fresh) ?? fallback ?? usable[0];
}
