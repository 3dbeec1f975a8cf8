/** Kubernetes resource quantities (`100m`, `1.5`, `128Mi`, `1e3`) as plain numbers. */

const suffixes: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const pattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The quantity's value (CPU in cores, memory in bytes); throws a readable error on bad input. */
export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = pattern.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a Kubernetes quantity (e.g. 100m, 1.5, 128Mi)`);
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * suffixes[m[3] ?? '']!;
}
