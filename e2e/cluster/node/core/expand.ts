/**
 * `$(VAR)` expansion exactly as Kubernetes does it for `command`, `args` and `env[].value`
 * (k8s.io/kubernetes third_party/forked/golang/expansion): `$(NAME)` is replaced by the variable's
 * value, an unknown reference is left as written, `$$` is an escaped `$` (so `$$(NAME)` stays
 * `$(NAME)`), and an unclosed `$(` is kept literally.
 */

/** Expands every reference in `input` with `lookup`; an unknown name (undefined) stays `$(NAME)`. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    const { text, isVariable, advance } = readVariableName(rest);
    out += isVariable ? (lookup(text) ?? `$(${text})`) : text;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function readVariableName(input: string): { text: string; isVariable: boolean; advance: number } {
  if (input[0] === '$') return { text: '$', isVariable: false, advance: 1 };
  if (input[0] === '(') {
    const close = input.indexOf(')', 1);
    if (close >= 0) return { text: input.slice(1, close), isVariable: true, advance: close + 1 };
    return { text: '$(', isVariable: false, advance: 1 };
  }
  return { text: `$${input[0]}`, isVariable: false, advance: 1 };
}

/** A lookup over several maps, the first that has the name wins (kubelet's MappingFuncFor). */
export function lookupIn(...maps: readonly Readonly<Record<string, string>>[]): (name: string) => string | undefined {
  return (name) => {
    for (const m of maps) if (Object.hasOwn(m, name)) return m[name];
    return undefined;
  };
}
