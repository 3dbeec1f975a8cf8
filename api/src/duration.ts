/** Durations as people write them in flags and YAML: `1.5s`, `100ms`, `24h`, `90d`, `1h30m`. */

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** Parses a duration to milliseconds; throws with a readable message if it is not one. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error(`invalid duration "${text}": empty`);
  part.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * unitMs[m[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed !== trimmed.length) {
    throw new Error(`invalid duration "${text}": expected a number with a unit (ms, s, m, h, d), e.g. 1.5s or 24h`);
  }
  return total;
}

/** Formats milliseconds compactly (`90000` → `1m30s`), the inverse of parseDuration for whole units. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = unitMs[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
