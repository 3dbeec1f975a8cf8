/**
 * RBAC evaluation, Envoy/Istio semantics (pure): any matching DENY policy denies; otherwise, when
 * ALLOW policies exist, one must match. See `RbacConfig` in the model for the rule semantics.
 */
import type { RbacConfig, RbacRule } from '../config/model';

/** What a policy can look at. `principal` is the peer's SPIFFE id (`spiffe://…`), absent on plaintext. */
export interface RbacSubject {
  principal?: string;
  namespace?: string;
  destinationPort: number;
  /** Absent for TCP: then rules that need a path or method never match (as Envoy at L4). */
  path?: string;
  method?: string;
}

export interface RbacDecision {
  allowed: boolean;
  /** The policy that decided, for logs (`shadow` denials and audits name it). */
  policy?: string;
}

export function evaluateRbac(configs: readonly RbacConfig[], subject: RbacSubject): RbacDecision {
  for (const c of configs) {
    for (const p of c.policies) if (p.action === 'DENY' && p.rules.some((r) => ruleMatches(r, subject))) return { allowed: false, policy: p.name };
  }
  let anyAllow = false;
  for (const c of configs) {
    for (const p of c.policies) {
      if (p.action !== 'ALLOW') continue;
      anyAllow = true;
      if (p.rules.some((r) => ruleMatches(r, subject))) return { allowed: true, policy: p.name };
    }
  }
  return { allowed: !anyAllow };
}

function ruleMatches(r: RbacRule, s: RbacSubject): boolean {
  const principal = s.principal?.startsWith('spiffe://') ? s.principal.slice('spiffe://'.length) : s.principal;
  const path = s.path === undefined ? undefined : stripQuery(s.path);
  return (
    field(r.principals, r.notPrincipals, principal, wildcard) &&
    field(r.namespaces, r.notNamespaces, s.namespace, wildcard) &&
    field(r.paths, r.notPaths, path, wildcard) &&
    field(r.methods, r.notMethods, s.method?.toUpperCase(), (a, b) => a === b) &&
    field(r.ports, r.notPorts, s.destinationPort, (a, b) => a === b)
  );
}

function field<T>(values: readonly T[] | undefined, notValues: readonly T[] | undefined, actual: T | undefined, eq: (pattern: T, actual: T) => boolean): boolean {
  if (values !== undefined && (actual === undefined || !values.some((v) => eq(v, actual)))) return false;
  if (notValues !== undefined && actual !== undefined && notValues.some((v) => eq(v, actual))) return false;
  // Istio: a `not…` field on an attribute the request lacks (e.g. notPaths on TCP) does not match.
  if (notValues !== undefined && actual === undefined) return false;
  return true;
}

/** Istio string match: `*` alone, `prefix*`, `*suffix`, or exact. */
function wildcard(pattern: string, actual: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return actual.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return actual.endsWith(pattern.slice(1));
  return pattern === actual;
}

function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}
