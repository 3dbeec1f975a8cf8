/**
 * AuthorizationPolicy → Envoy RBAC (Istio semantics): DENY policies are checked first, then ALLOW
 * policies; with no ALLOW policy everything not denied is allowed; an ALLOW policy without rules
 * allows nothing. For TCP ports, HTTP-only fields (methods, paths, hosts) cannot be checked: an ALLOW
 * rule using them is dropped (stricter), a DENY rule drops only those fields (stricter too).
 */
import { selectorMatches } from '../kube';
import { type MeshModel, type PolicyObject } from '../model';
import { type AuthorizationPolicySpec, type AuthzOperation, type AuthzRule, type AuthzSource } from '../policy-types';
import { FilterNames, type Json, TypeUrls, typed } from './envoy';

export function policiesFor(model: MeshModel, namespace: string, labels: Record<string, string>): PolicyObject<AuthorizationPolicySpec>[] {
  return model.authorizationPolicies.filter((ap) =>
    (ap.namespace === namespace || ap.namespace === model.rootNamespace) &&
    selectorMatches(ap.spec.selector?.matchLabels, labels));
}

function orIds(ids: Json[]): Json {
  return ids.length === 1 ? ids[0]! : { or_ids: { ids } };
}

function orRules(rules: Json[]): Json {
  return rules.length === 1 ? rules[0]! : { or_rules: { rules } };
}

function principalMatcher(value: string, trustDomainPrefix = 'spiffe://'): Json {
  if (value === '*') return { authenticated: { principal_name: { safe_regex: { regex: '.+' } } } };
  if (value.startsWith('*')) return { authenticated: { principal_name: { suffix: value.slice(1) } } };
  if (value.endsWith('*')) return { authenticated: { principal_name: { prefix: `${trustDomainPrefix}${value.slice(0, -1)}` } } };
  return { authenticated: { principal_name: { exact: `${trustDomainPrefix}${value}` } } };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function namespaceMatcher(ns: string): Json {
  const pattern = ns === '*' ? '[^/]+' : escapeRegex(ns);
  return { authenticated: { principal_name: { safe_regex: { regex: `^spiffe://[^/]+/ns/${pattern}/sa/[^/]+$` } } } };
}

function cidr(block: string): Json {
  const [address, len] = block.split('/');
  return { direct_remote_ip: { address_prefix: address, prefix_len: len === undefined ? (address!.includes(':') ? 128 : 32) : Number(len) } };
}

function sourcePrincipal(source: AuthzSource): Json {
  const ids: Json[] = [];
  const field = (values: string[] | undefined, negate: boolean, make: (v: string) => Json) => {
    if (!values?.length) return;
    const id = orIds(values.map(make));
    ids.push(negate ? { not_id: id } : id);
  };
  field(source.principals, false, (v) => principalMatcher(v));
  field(source.notPrincipals, true, (v) => principalMatcher(v));
  field(source.namespaces, false, namespaceMatcher);
  field(source.notNamespaces, true, namespaceMatcher);
  field(source.ipBlocks, false, cidr);
  field(source.notIpBlocks, true, cidr);
  if (ids.length === 0) return { any: true };
  return ids.length === 1 ? ids[0]! : { and_ids: { ids } };
}

function pathMatcher(path: string): Json {
  if (path === '*') return { url_path: { path: { safe_regex: { regex: '.*' } } } };
  if (path.endsWith('*')) return { url_path: { path: { prefix: path.slice(0, -1) } } };
  if (path.startsWith('*')) return { url_path: { path: { suffix: path.slice(1) } } };
  return { url_path: { path: { exact: path } } };
}

function headerMatcher(name: string, value: string): Json {
  if (value === '*') return { header: { name, present_match: true } };
  if (value.endsWith('*')) return { header: { name, string_match: { prefix: value.slice(0, -1) } } };
  if (value.startsWith('*')) return { header: { name, string_match: { suffix: value.slice(1) } } };
  return { header: { name, string_match: { exact: value } } };
}

const httpOnlyFields: (keyof AuthzOperation)[] = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];

function operationPermission(op: AuthzOperation, http: boolean): Json {
  const rules: Json[] = [];
  const field = (values: string[] | undefined, negate: boolean, make: (v: string) => Json) => {
    if (!values?.length) return;
    const rule = orRules(values.map(make));
    rules.push(negate ? { not_rule: rule } : rule);
  };
  field(op.ports, false, (p) => ({ destination_port: Number(p) }));
  field(op.notPorts, true, (p) => ({ destination_port: Number(p) }));
  if (http) {
    field(op.methods, false, (m) => headerMatcher(':method', m));
    field(op.notMethods, true, (m) => headerMatcher(':method', m));
    field(op.paths, false, pathMatcher);
    field(op.notPaths, true, pathMatcher);
    field(op.hosts, false, (h) => headerMatcher(':authority', h));
    field(op.notHosts, true, (h) => headerMatcher(':authority', h));
  }
  if (rules.length === 0) return { any: true };
  return rules.length === 1 ? rules[0]! : { and_rules: { rules } };
}

function usesHttpOnly(rule: AuthzRule): boolean {
  return (rule.to ?? []).some((t) => httpOnlyFields.some((f) => (t.operation[f]?.length ?? 0) > 0));
}

function rulePolicy(rule: AuthzRule, http: boolean): Json {
  const ops = (rule.to ?? []).map((t) => operationPermission(t.operation, http));
  const sources = (rule.from ?? []).map((f) => sourcePrincipal(f.source));
  return { permissions: ops.length ? ops : [{ any: true }], principals: sources.length ? sources : [{ any: true }] };
}

/** Envoy RBAC rule sets (DENY, then ALLOW) for a workload; empty when no policy selects it. */
export function rbacRules(policies: PolicyObject<AuthorizationPolicySpec>[], http: boolean): { action: 'DENY' | 'ALLOW'; policies: Json }[] {
  const out: { action: 'DENY' | 'ALLOW'; policies: Json }[] = [];
  for (const action of ['DENY', 'ALLOW'] as const) {
    const selected = policies.filter((p) => (p.spec.action ?? 'ALLOW') === action);
    if (selected.length === 0) continue;
    const envoyPolicies: Json = {};
    for (const ap of selected) {
      (ap.spec.rules ?? []).forEach((rule, i) => {
        if (!http && action === 'ALLOW' && usesHttpOnly(rule)) return;
        envoyPolicies[`ns[${ap.namespace}]-policy[${ap.name}]-rule[${i}]`] = rulePolicy(rule, http);
      });
    }
    out.push({ action, policies: envoyPolicies });
  }
  return out;
}

export function httpRbacFilters(policies: PolicyObject<AuthorizationPolicySpec>[]): Json[] {
  return rbacRules(policies, true).map((r) => ({ name: FilterNames.httpRbac, typed_config: typed(TypeUrls.httpRbac, { rules: { action: r.action, policies: r.policies } }) }));
}

export function networkRbacFilters(policies: PolicyObject<AuthorizationPolicySpec>[], statPrefix: string): Json[] {
  return rbacRules(policies, false).map((r) => ({
    name: FilterNames.networkRbac,
    typed_config: typed(TypeUrls.networkRbac, { stat_prefix: statPrefix, rules: { action: r.action, policies: r.policies } }),
  }));
}
