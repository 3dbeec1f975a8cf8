/**
 * Envoy RBAC (envoy.config.rbac.v3.RBAC) → the model's Istio-shaped RbacConfig (pure).
 *
 * An Envoy policy matches when any permission AND any principal match; permissions and principals
 * are trees of and/or/not. The model's policy is a list of rules (OR), each a conjunction of
 * attribute lists. So each tree is brought to disjunctive normal form (a list of conjunctions) and
 * the policy's rules are the product permissions × principals. Leaves the model has no attribute
 * for (source IPs, arbitrary headers, metadata, …) are rejected with their path.
 */
import { RBACSchema, RBAC_Action, PolicySchema, type Permission, type Principal, type RBAC } from '../../../../api/gen/envoy/config/rbac/v3/rbac_pb';
import type { StringMatcher } from '../../../../api/gen/envoy/type/matcher/v3/string_pb';
import type { RbacConfig, RbacPolicy, RbacRule } from '../../config/model';
import { at, fail, idx, onlyFields } from './fields';

type Conj = RbacRule;
type Dnf = Conj[];
type ListKey = Exclude<keyof RbacRule, never>;

/** Upper bound on rules one policy may expand to (guards against a combinatorial blow-up). */
export const MaxRulesPerPolicy = 1024;

const positive: readonly ListKey[] = ['principals', 'namespaces', 'paths', 'methods', 'ports'];
const negated: Record<string, ListKey> = { principals: 'notPrincipals', namespaces: 'notNamespaces', paths: 'notPaths', methods: 'notMethods', ports: 'notPorts' };

function leaf(key: ListKey, value: string | number): Conj {
  return { [key]: [value] } as Conj;
}

/** AND of two conjunctions; two positive lists on one attribute cannot be expressed. */
function and(a: Conj, b: Conj, path: string): Conj {
  const out: Record<string, Array<string | number>> = { ...(a as Record<string, Array<string | number>>) };
  for (const [k, v] of Object.entries(b as Record<string, Array<string | number>>)) {
    if (v === undefined) continue;
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else if (positive.includes(k as ListKey)) fail(path, `two conditions on ${k} in one rule cannot be expressed (use or_rules/or_ids)`);
    else out[k] = [...cur, ...v]; // not(a) and not(b) = not(a or b)
  }
  return out as Conj;
}

function product(a: Dnf, b: Dnf, path: string): Dnf {
  const out: Dnf = [];
  for (const x of a) for (const y of b) {
    out.push(and(x, y, path));
    if (out.length > MaxRulesPerPolicy) fail(path, `expands to more than ${MaxRulesPerPolicy} rules`);
  }
  return out;
}

/** OR: concatenation, compacted when every branch is one positive list on the same attribute. */
function or(branches: Dnf[]): Dnf {
  const all = branches.flat();
  if (all.some((c) => Object.keys(c).length === 0)) return [{}];
  const keys = all.map((c) => Object.keys(c));
  const k = keys[0]?.[0];
  if (k && positive.includes(k as ListKey) && keys.every((ks) => ks.length === 1 && ks[0] === k)) {
    return [{ [k]: all.flatMap((c) => (c as Record<string, unknown[]>)[k]!) } as Conj];
  }
  return all;
}

/** NOT: only of a single attribute (a leaf or an OR of leaves on one attribute). */
function not(d: Dnf, path: string): Dnf {
  const c = or([d]);
  const keys = c.length === 1 ? Object.keys(c[0]!) : [];
  if (keys.length !== 1 || !positive.includes(keys[0] as ListKey)) fail(path, 'only a negation of one attribute (principal, namespace, path, method or port) can be expressed');
  const k = keys[0]!;
  return [{ [negated[k]!]: (c[0] as Record<string, unknown[]>)[k] } as Conj];
}

/** Envoy StringMatcher → Istio wildcard (`x`, `x*`, `*x`, `*`). */
function wildcard(m: StringMatcher | undefined, path: string, prefix = ''): string {
  if (!m) fail(path, 'a string matcher is required');
  if (m.ignoreCase) fail(at(path, 'ignore_case'), 'case-insensitive matching is not supported here');
  const p = m.matchPattern;
  const plain = (v: string, where: string): string => {
    if (v.startsWith('*') || v.endsWith('*')) fail(at(path, where), `"${v}" contains a "*" that would read as a wildcard`);
    return v;
  };
  const strip = (v: string, where: string): string => {
    if (!v.startsWith(prefix)) fail(at(path, where), `must start with "${prefix}"`);
    return v.slice(prefix.length);
  };
  switch (p.case) {
    case 'exact':
      return plain(strip(p.value, 'exact'), 'exact');
    case 'prefix':
      return `${plain(strip(p.value, 'prefix'), 'prefix')}*`;
    case 'suffix':
      return `*${plain(p.value, 'suffix')}`;
    case 'safeRegex':
      if (p.value.regex === '.*' || p.value.regex === '.+') return '*';
      return fail(at(path, 'safe_regex'), `regex "${p.value.regex}" cannot be expressed (supported: exact, prefix, suffix, ".*", ".+")`);
    default:
      return fail(path, `string matcher ${p.case ?? '(none)'} is not supported here`);
  }
}

const namespaceRegex = /^\^spiffe:\/\/\[\^\/\]\+\/ns\/(.+)\/sa\/\[\^\/\]\+\$$/;

function unescapeRegex(s: string): string | undefined {
  const out = s.replace(/\\(.)/g, '$1');
  // Any regex metacharacter left unescaped means this is not a literal name.
  return /[.*+?^${}()|[\]\\]/.test(s.replace(/\\./g, '')) ? undefined : out;
}

function principal(p: Principal, path: string): Dnf {
  const id = p.identifier;
  switch (id.case) {
    case 'any':
      if (!id.value) fail(at(path, 'any'), 'any: false matches nothing and cannot be expressed');
      return [{}];
    case 'andIds':
      return id.value.ids.reduce<Dnf>((acc, x, i) => product(acc, principal(x, idx(at(path, 'and_ids.ids'), i)), path), [{}]);
    case 'orIds':
      return or(id.value.ids.map((x, i) => principal(x, idx(at(path, 'or_ids.ids'), i))));
    case 'notId':
      return not(principal(id.value, at(path, 'not_id')), at(path, 'not_id'));
    case 'authenticated': {
      const m = id.value.principalName;
      const where = at(path, 'authenticated.principal_name');
      // Envoy: no principal_name = any peer with a verified certificate.
      if (m === undefined) return [leaf('principals', '*')];
      if (m?.matchPattern.case === 'safeRegex') {
        const ns = namespaceRegex.exec(m.matchPattern.value.regex);
        if (ns) {
          if (ns[1] === '[^/]+') return [leaf('namespaces', '*')];
          const name = unescapeRegex(ns[1]!);
          if (name !== undefined) return [leaf('namespaces', name)];
        }
      }
      return [leaf('principals', wildcard(m, where, m?.matchPattern.case === 'suffix' ? '' : 'spiffe://'))];
    }
    default:
      return fail(path, `principal ${id.case ?? '(none)'} is not supported by the Skein proxy (supported: any, authenticated, and_ids, or_ids, not_id)`);
  }
}

function permission(p: Permission, path: string): Dnf {
  const r = p.rule;
  switch (r.case) {
    case 'any':
      if (!r.value) fail(at(path, 'any'), 'any: false matches nothing and cannot be expressed');
      return [{}];
    case 'andRules':
      return r.value.rules.reduce<Dnf>((acc, x, i) => product(acc, permission(x, idx(at(path, 'and_rules.rules'), i)), path), [{}]);
    case 'orRules':
      return or(r.value.rules.map((x, i) => permission(x, idx(at(path, 'or_rules.rules'), i))));
    case 'notRule':
      return not(permission(r.value, at(path, 'not_rule')), at(path, 'not_rule'));
    case 'destinationPort':
      return [leaf('ports', r.value)];
    case 'urlPath': {
      const m = r.value.rule.case === 'path' ? r.value.rule.value : undefined;
      return [leaf('paths', wildcard(m, at(path, 'url_path.path')))];
    }
    case 'header': {
      const h = r.value;
      const where = at(path, 'header');
      if (h.name !== ':method') fail(at(where, 'name'), `header "${h.name}" cannot be matched by RBAC here (only :method)`);
      if (h.invertMatch) fail(at(where, 'invert_match'), 'use not_rule instead');
      const s = h.headerMatchSpecifier;
      if (s.case === 'presentMatch' && s.value) return [{}];
      const method = s.case === 'exactMatch' ? s.value : s.case === 'stringMatch' && s.value.matchPattern.case === 'exact' && !s.value.ignoreCase ? s.value.matchPattern.value : undefined;
      if (method === undefined) fail(where, 'a method must be matched exactly (or present_match: true for any)');
      return [leaf('methods', method.toUpperCase())];
    }
    default:
      return fail(path, `permission ${r.case ?? '(none)'} is not supported by the Skein proxy (supported: any, destination_port, url_path, header :method, and_rules, or_rules, not_rule)`);
  }
}

/** Sorted by name so the result does not depend on map order. */
export function translateRbacRules(rules: RBAC, path: string): RbacPolicy[] {
  onlyFields(RBACSchema, rules, path, ['action', 'policies']);
  if (rules.action !== RBAC_Action.ALLOW && rules.action !== RBAC_Action.DENY) fail(at(path, 'action'), 'only ALLOW and DENY are supported (LOG is not)');
  const action = rules.action === RBAC_Action.ALLOW ? 'ALLOW' : 'DENY';
  const names = Object.keys(rules.policies).sort();
  // Envoy: an ALLOW filter with no policies denies everything. The model spells that as an ALLOW policy that matches nothing.
  if (names.length === 0) return action === 'ALLOW' ? [{ name: '(no policies: deny all)', action, rules: [] }] : [];
  return names.map((name) => {
    const pp = `${at(path, 'policies')}[${JSON.stringify(name)}]`;
    const policy = rules.policies[name]!;
    onlyFields(PolicySchema, policy, pp, ['permissions', 'principals']);
    const perms = or(policy.permissions.map((x, i) => permission(x, idx(at(pp, 'permissions'), i))));
    const princ = or(policy.principals.map((x, i) => principal(x, idx(at(pp, 'principals'), i))));
    // Envoy: a policy with no permissions or no principals matches nothing.
    const list = policy.permissions.length === 0 || policy.principals.length === 0 ? [] : product(perms, princ, pp);
    return { name, action, rules: list.map(clean) };
  });
}

function clean(c: Conj): RbacRule {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (v !== undefined) out[k] = v;
  return out as RbacRule;
}

/** One RBAC filter's config, or undefined when `rules` is unset (Envoy: the filter enforces nothing). */
export function translateRbacFilter(rules: RBAC | undefined, path: string): RbacConfig | undefined {
  return rules === undefined ? undefined : { policies: translateRbacRules(rules, at(path, 'rules')) };
}
