/**
 * What the demo shows (pure): every app records who called it (the caller's SPIFFE id from the
 * `x-forwarded-client-cert` its sidecar set) and every caller records failed calls; the table turns
 * two samples of those counters into per-route rates.
 */

export interface RouteKey {
  /** Caller workload (`load` for the demo's load generator, which has no sidecar). */
  from: string;
  to: string;
  version: string;
  /** What the callee's sidecar vouched for; `-` when the call arrived in plaintext. */
  peer: string;
}

export interface FailureKey {
  from: string;
  to: string;
  /** The callee's version when its app answered (an error status), `-` when no app did. */
  version: string;
  /** What went wrong: the status and the sidecar's response flags (`503 UF`), or the client error (`timeout`). */
  reason: string;
}

export class TrafficCounters {
  private readonly ok = new Map<string, { key: RouteKey; count: number }>();
  private readonly failed = new Map<string, { key: FailureKey; count: number }>();

  /** A request that reached an app. */
  served(key: RouteKey): void {
    const k = `${key.from}|${key.to}|${key.version}|${key.peer}`;
    const e = this.ok.get(k);
    if (e) e.count += 1;
    else this.ok.set(k, { key, count: 1 });
  }

  /** A call that failed, as the caller saw it. */
  failure(key: FailureKey): void {
    const k = `${key.from}|${key.to}|${key.version}|${key.reason}`;
    const e = this.failed.get(k);
    if (e) e.count += 1;
    else this.failed.set(k, { key, count: 1 });
  }

  sample(): TrafficSample {
    return {
      served: [...this.ok.values()].map((e) => ({ key: { ...e.key }, count: e.count })),
      failed: [...this.failed.values()].map((e) => ({ key: { ...e.key }, count: e.count })),
    };
  }
}

export interface TrafficSample {
  served: { key: RouteKey; count: number }[];
  failed: { key: FailureKey; count: number }[];
}

/**
 * Why a call failed, as a person reads it: the status with the sidecar's response flags when it
 * answered (`503 UF`: upstream connection failure, `503 FI`: injected fault, `504 UT`: timeout), the
 * bare status when an app answered, the client error otherwise.
 */
export function failureReason(result: { status: number; flags?: string | undefined } | { error: string }): string {
  if ('error' in result) return /timed out/.test(result.error) ? 'timeout' : (/\b(E[A-Z]+)\b/.exec(result.error)?.[1] ?? 'error');
  return result.flags && result.flags !== '-' ? `${result.status} ${result.flags}` : String(result.status);
}

/** The SPIFFE id's service account is the workload name in the demo (`…/sa/frontend` → frontend). */
export function callerFromSpiffeId(id: string | undefined): string {
  if (!id) return 'load';
  const m = /\/sa\/([^/]+)$/.exec(id);
  return m ? m[1]! : id;
}

/** The `URI=` of the last element of an XFCC header (the direct caller), or undefined. */
export function peerFromXfcc(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const last = header.split(',').at(-1)!;
  const m = /(?:^|;)URI=("?)([^;"]+)\1/.exec(last);
  return m?.[2];
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** `3: 503 UF×2 500×1`, or `0`. */
function errorsCell(failures: readonly { key: FailureKey; count: number }[]): string {
  const total = failures.reduce((n, f) => n + f.count, 0);
  if (total === 0) return '0';
  const byReason = [...failures].sort((a, b) => b.count - a.count || a.key.reason.localeCompare(b.key.reason));
  return `${total}: ${byReason.map((f) => `${f.key.reason}×${f.count}`).join(' ')}`;
}

/**
 * The refreshing table: one row per route, version and peer, rates over the interval between
 * samples; ERRORS per route and version (with the codes or flags); a route and version that only
 * failed gets a row of its own. Columns are as wide as their widest cell.
 */
export function renderTable(prev: TrafficSample | undefined, cur: TrafficSample, intervalMs: number): string {
  const before = new Map((prev?.served ?? []).map((e) => [`${e.key.from}|${e.key.to}|${e.key.version}|${e.key.peer}`, e.count]));
  const routeOf = (k: { from: string; to: string; version: string }): string => `${k.from}|${k.to}|${k.version}`;
  const failuresOf = new Map<string, { key: FailureKey; count: number }[]>();
  for (const f of cur.failed) failuresOf.set(routeOf(f.key), [...(failuresOf.get(routeOf(f.key)) ?? []), f]);
  const rows: string[][] = [];
  const shown = new Set<string>();
  const served = [...cur.served].sort((a, b) => `${a.key.from} ${a.key.to} ${a.key.version} ${a.key.peer}`.localeCompare(`${b.key.from} ${b.key.to} ${b.key.version} ${b.key.peer}`));
  for (const r of served) {
    const k = `${r.key.from}|${r.key.to}|${r.key.version}|${r.key.peer}`;
    const rps = ((r.count - (before.get(k) ?? 0)) * 1000) / Math.max(1, intervalMs);
    // A route's errors go on its first row (one per peer is the usual case).
    const route = routeOf(r.key);
    const errors = shown.has(route) ? '0' : errorsCell(failuresOf.get(route) ?? []);
    shown.add(route);
    rows.push([`${r.key.from} -> ${r.key.to}`, r.key.version, rps.toFixed(1), String(r.count), errors, r.key.peer]);
  }
  for (const [route, failures] of [...failuresOf].sort(([a], [b]) => a.localeCompare(b))) {
    if (shown.has(route)) continue;
    const { from, to, version } = failures[0]!.key;
    rows.push([`${from} -> ${to}`, version, '0.0', '0', errorsCell(failures), '-']);
  }
  const head = ['ROUTE', 'VERSION', 'RPS', 'TOTAL', 'ERRORS', 'PEER (SPIFFE id seen by the callee\'s sidecar)'];
  const widths = head.map((h, i) => Math.max(i === 0 ? 22 : i === 4 ? 7 : 8, ...[head, ...rows].map((r) => r[i]!.length + 1)));
  return [head, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]!))).join('')).join('\n');
}
