/**
 * Label and field selectors: the string form of list/watch queries (`a=b,c in (x,y),!d`) and the
 * LabelSelector object (matchLabels/matchExpressions) of Deployments, Services and webhooks.
 * Parse errors read like k8s.io/apimachinery/pkg/labels. Pure.
 */
import { badRequest } from './status';
import { getPath, type KubeObject } from './json';

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

function matches(reqs: readonly Requirement[], labels: Record<string, string> = {}): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists': return has;
      case 'doesnotexist': return !has;
      case 'in': return has && r.values.includes(labels[r.key]!);
      case 'notin': return !has || !r.values.includes(labels[r.key]!);
    }
  });
}

/** Parses `?labelSelector=` (equality- and set-based). Throws a 400 on bad syntax. */
export function parseLabelSelector(text: string): LabelMatcher {
  const reqs: Requirement[] = [];
  let i = 0;
  const s = text;
  const skip = () => { while (s[i] === ' ') i++; };
  const ident = (): string => {
    skip();
    const start = i;
    while (i < s.length && /[A-Za-z0-9_.\-/]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const fail = (why: string) => badRequest(`unable to parse requirement: ${why}`);
  while (i < s.length) {
    skip();
    if (s[i] === '!') {
      i++;
      const key = ident();
      if (!key) throw fail(`found '${s[i] ?? ''}', expected: identifier`);
      reqs.push({ key, op: 'doesnotexist' });
    } else {
      const key = ident();
      if (!key) throw fail(`found '${s[i] ?? ''}', expected: !, identifier, or 'end of string'`);
      skip();
      const rest = s.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^(==|!=|=)/.exec(rest))) {
        i += m[0].length;
        const value = ident();
        reqs.push({ key, op: m[0] === '!=' ? 'notin' : 'in', values: [value] });
      } else if ((m = /^(in|notin)\s*\(/.exec(rest))) {
        i += m[0].length;
        const values: string[] = [];
        for (;;) {
          const v = ident();
          values.push(v);
          skip();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === ')') { i++; break; }
          throw fail(`found '${s[i] ?? ''}', expected: ',', ')' or identifier`);
        }
        reqs.push({ key, op: m[1] as 'in' | 'notin', values });
      } else {
        reqs.push({ key, op: 'exists' });
      }
    }
    skip();
    if (i < s.length) {
      if (s[i] !== ',') throw fail(`found '${s[i]}', expected: ',' or 'end of string'`);
      i++;
    }
  }
  return (labels) => matches(reqs, labels);
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * metav1.LabelSelectorAsSelector: matchLabels and matchExpressions ANDed. An empty selector matches
 * everything; a nil one (undefined) matches nothing where the caller says so (Services, RS do).
 */
export function labelSelectorMatcher(selector: LabelSelector): LabelMatcher {
  const reqs: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in' as const, values: [v] }));
  for (const e of selector.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') reqs.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') reqs.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') reqs.push({ key: e.key, op: 'doesnotexist' });
    else throw badRequest(`"${e.operator}" is not a valid label selector operator`);
  }
  return (labels) => matches(reqs, labels);
}

/** A Service's `spec.selector` (a plain map); empty or absent selects nothing. */
export function mapSelectorMatcher(selector: Record<string, string> | undefined): LabelMatcher {
  if (!selector || Object.keys(selector).length === 0) return () => false;
  return (labels) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export type FieldMatcher = (obj: KubeObject) => boolean;

/**
 * Parses `?fieldSelector=` against the fields a kind supports (`metadata.name`, `metadata.namespace`
 * always; `spec.nodeName`, `status.phase`… per kind). Unknown fields are refused as the server does.
 */
export function parseFieldSelector(text: string, supported: readonly string[]): FieldMatcher {
  const terms = text.split(',').map((t) => t.trim()).filter(Boolean).map((term) => {
    const m = /^([^!=]+)(==|!=|=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { path: field.split('.'), negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return (obj) => terms.every((t) => {
    const raw = getPath(obj, t.path);
    const actual = raw === undefined || raw === null ? '' : String(raw);
    return t.negate ? actual !== t.value : actual === t.value;
  });
}
