/**
 * Regexes in Skein policies must mean the same thing to every data plane: Envoy evaluates them with
 * RE2, the Skein proxy with JavaScript. We accept the common subset: the pattern must compile as a
 * JavaScript RegExp and use nothing RE2 lacks (lookarounds, backreferences, atomic groups,
 * possessive quantifiers, repeat counts above 1000). Matching is always against the whole value
 * (Istio's full-match semantics).
 */

/** Longest pattern accepted (Envoy also bounds the compiled program size). */
export const MaxRegexLength = 1024;
const MaxRepeat = 1000;

/** Returns why `pattern` is not an RE2-compatible regex Skein accepts, or undefined if it is. */
export function re2Problem(pattern: string): string | undefined {
  if (pattern.length > MaxRegexLength) return `regex is longer than ${MaxRegexLength} characters`;
  if (pattern === '*') return 'invalid regex "*": to match any value (presence), use {} instead of a regex';
  const construct = unsupportedConstruct(pattern);
  if (construct) return `regex uses ${construct}, which RE2 (used by Envoy) does not support`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `invalid regex: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  return undefined;
}

function unsupportedConstruct(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `a backreference (\\${next})`;
      if (!inClass && next === 'k' && pattern[i + 2] === '<') return 'a named backreference (\\k<…>)';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === ']') i++; // `[]]` is a class holding `]`
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const head = pattern.slice(i + 2, i + 4);
      if (head.startsWith('=')) return 'a lookahead (?=…)';
      if (head.startsWith('!')) return 'a negative lookahead (?!…)';
      if (head === '<=') return 'a lookbehind (?<=…)';
      if (head === '<!') return 'a negative lookbehind (?<!…)';
      if (head.startsWith('>')) return 'an atomic group (?>…)';
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && pattern[i + 1] === '+' && i > 0) return 'a possessive quantifier';
    if (c === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i));
      if (m && (Number(m[1]) > MaxRepeat || (m[2] !== undefined && m[2] !== '' && Number(m[2]) > MaxRepeat))) {
        return `a repeat count above ${MaxRepeat}`;
      }
    }
  }
  return undefined;
}
