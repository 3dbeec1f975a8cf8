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

export class TrafficCounters {
  private readonly ok = new Map<string, { key: RouteKey; count: number }>();
  private readonly failed = new Map<string, number>();

  /** A request that reached an app. */
  served(key: RouteKey): void {
    const k = `${key.from}|${key.to}|${key.version}|${key.peer}`;
    const e = this.ok.get(k);
    if (e) e.count += 1;
    else this.ok.set(k, { key, count: 1 });
  }

  /** A call that failed, as the caller saw it. */
  failure(from: string, to: string): void {
    const k = `${from}|${to}`;
    this.failed.set(k, (this.failed.get(k) ?? 0) + 1);
  }

  sample(): TrafficSample {
    return {
      served: [...this.ok.values()].map((e) => ({ key: { ...e.key }, count: e.count })),
      failed: Object.fromEntries(this.failed),
    };
  }
}

export interface TrafficSample {
  served: { key: RouteKey; count: number }[];
  failed: Record<string, number>;
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

/** The refreshing table: one row per route/version/peer, rates over the interval between samples. */
export function renderTable(prev: TrafficSample | undefined, cur: TrafficSample, intervalMs: number): string {
  const before = new Map((prev?.served ?? []).map((e) => [`${e.key.from}|${e.key.to}|${e.key.version}|${e.key.peer}`, e.count]));
  const rows = [...cur.served].sort((a, b) => (a.key.from + a.key.to + a.key.version).localeCompare(b.key.from + b.key.to + b.key.version));
  const lines = [`${pad('ROUTE', 22)} ${pad('VERSION', 8)} ${pad('RPS', 7)} ${pad('TOTAL', 7)} ${pad('ERRORS', 7)} PEER (SPIFFE id seen by the callee's sidecar)`];
  for (const r of rows) {
    const k = `${r.key.from}|${r.key.to}|${r.key.version}|${r.key.peer}`;
    const rps = ((r.count - (before.get(k) ?? 0)) * 1000) / Math.max(1, intervalMs);
    const errors = cur.failed[`${r.key.from}|${r.key.to}`] ?? 0;
    lines.push(`${pad(`${r.key.from} -> ${r.key.to}`, 22)} ${pad(r.key.version, 8)} ${pad(rps.toFixed(1), 7)} ${pad(String(r.count), 7)} ${pad(String(errors), 7)} ${r.key.peer}`);
  }
  const orphanErrors = Object.entries(cur.failed).filter(([k]) => !rows.some((r) => `${r.key.from}|${r.key.to}` === k));
  for (const [k, n] of orphanErrors) {
    const [from, to] = k.split('|');
    lines.push(`${pad(`${from} -> ${to}`, 22)} ${pad('-', 8)} ${pad('0.0', 7)} ${pad('0', 7)} ${pad(String(n), 7)} -`);
  }
  return lines.join('\n');
}
