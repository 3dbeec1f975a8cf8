/**
 * The topology and its golden signals (pure), from the counter increases of each scraped proxy's
 * window (window.ts): workloads (per version) are nodes, observed calls are edges.
 *
 * Which reporter speaks for what, as Kiali does:
 * - an HTTP call that reached a sidecar is told by that **destination** sidecar (`reporter=
 *   "destination"`): the caller comes from the metadata exchange, `source_principal` says whether it
 *   arrived over mTLS; calls from outside the mesh come from the `unknown` node;
 * - a call no sidecar answered (connection failure, no route, timeout, a service without sidecars,
 *   passthrough) is told by the **source** sidecar, as an edge to the service node it was aimed at;
 * - TCP has no metadata exchange: meshed callers' connections are told by their source sidecar
 *   (edge to the service node); plaintext ones by the destination (edge from `unknown`).
 *
 * Rates add up per proxy (each over its own window); success = share of responses that are not 5xx
 * (or that never got a status); p50/p99 from the merged duration histograms.
 */
import { type Labels } from './prom-text';
import { bucketsOf, histogramQuantile, mergeBuckets, parseLe, type TargetWindow } from './window';

export const MetricNames = {
  requests: 'skein_requests_total',
  durationBucket: 'skein_request_duration_milliseconds_bucket',
  tcpOpened: 'skein_tcp_connections_opened_total',
  tcpSent: 'skein_tcp_sent_bytes_total',
  tcpReceived: 'skein_tcp_received_bytes_total',
} as const;

const wanted: ReadonlySet<string> = new Set(Object.values(MetricNames));

/** The metric families the graph reads (the rest of a scrape can be dropped while parsing). */
export function isGraphMetric(name: string): boolean {
  return wanted.has(name);
}

export interface WorkloadRef {
  workload: string;
  namespace: string;
  version: string;
}

export interface ErrorRate {
  /** Response code (`0`: none, e.g. the connection failed). */
  code: string;
  /** Response flags (`UF`, `UT`, `NR`, … or `-`). */
  flags: string;
  rps: number;
}

export interface Signals {
  rps: number;
  /** 0…1; null without requests in the window. */
  successRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Failed responses per code and flags, largest first. */
  errors: ErrorRate[];
}

export interface TcpSignals {
  connectionsPerSecond: number;
  bytesPerSecond: number;
}

export type NodeKind = 'workload' | 'unknown' | 'service';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** Workload (app) name, service host, or `unknown`. */
  name: string;
  namespace: string;
  version: string;
  /** SPIFFE ids seen in traffic for this workload (its certificates). */
  identities: string[];
  /** Node ids of its proxies. */
  proxies: string[];
  /** What it served (destination reporter), all callers together. */
  inbound: Signals | null;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  protocol: 'http' | 'tcp';
  /** Which sidecar's metrics the edge comes from. */
  reporter: 'destination' | 'source';
  signals: Signals | null;
  tcp: TcpSignals | null;
  /** `mTLS`: every request carried a verified caller certificate; `plaintext`: none; `unknown`: told by the source. */
  mtls: 'mTLS' | 'plaintext' | 'mixed' | 'unknown';
  /** Callers' SPIFFE ids as the destination verified them. */
  principals: string[];
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface TargetData {
  /** The proxy's node id. */
  proxy: string;
  /** Its workload (from its node metadata). */
  workload: WorkloadRef;
  window: TargetWindow;
}

export const UnknownNodeId = 'unknown';

export function workloadNodeId(w: WorkloadRef): string {
  return `${w.namespace}/${w.workload}/${w.version}`;
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → the service host; other cluster names as they are. */
export function serviceOfCluster(cluster: string): string {
  const parts = cluster.split('|');
  if (parts.length === 4 && parts[0] === 'outbound' && parts[3]) return parts[3];
  if (cluster === 'PassthroughCluster') return 'outside the mesh';
  if (cluster === '' || cluster === 'unknown') return 'no route';
  return cluster;
}

function isKnown(w: WorkloadRef): boolean {
  return w.workload !== 'unknown' && w.workload !== '';
}

function refFrom(labels: Labels, side: 'source' | 'destination'): WorkloadRef {
  return {
    workload: labels[`${side}_workload`] ?? 'unknown',
    namespace: labels[`${side}_workload_namespace`] ?? 'unknown',
    version: labels[`${side}_version`] ?? 'unknown',
  };
}

class SignalsAcc {
  rps = 0;
  failedRps = 0;
  readonly errors = new Map<string, ErrorRate>();
  readonly buckets = new Map<number, number>();
  mtls = 0;
  plain = 0;

  addRequests(labels: Labels, rps: number): void {
    this.rps += rps;
    const code = labels.response_code ?? '0';
    const n = Number(code);
    if (!(n > 0 && n < 500)) {
      this.failedRps += rps;
      const flags = labels.response_flags ?? '-';
      const k = `${code}|${flags}`;
      const e = this.errors.get(k) ?? { code, flags, rps: 0 };
      e.rps += rps;
      this.errors.set(k, e);
    }
  }

  result(): Signals {
    const buckets = bucketsOf(this.buckets);
    const q = (p: number): number | null => histogramQuantile(p, buckets) ?? null;
    return {
      rps: this.rps,
      successRate: this.rps > 0 ? 1 - this.failedRps / this.rps : null,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      errors: [...this.errors.values()].filter((e) => e.rps > 0).sort((a, b) => b.rps - a.rps || a.code.localeCompare(b.code)),
    };
  }
}

interface EdgeAcc {
  edge: Omit<GraphEdge, 'signals' | 'tcp' | 'mtls' | 'principals'>;
  http?: SignalsAcc;
  tcp?: TcpSignals;
  principals: Set<string>;
}

export function buildGraph(targets: readonly TargetData[]): Graph {
  const nodes = new Map<string, GraphNode>();
  const inbound = new Map<string, SignalsAcc>();
  const edges = new Map<string, EdgeAcc>();

  const node = (id: string, kind: NodeKind, ref: WorkloadRef): GraphNode => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = { id, kind, name: ref.workload, namespace: ref.namespace, version: ref.version, identities: [], proxies: [], inbound: null }));
    return n;
  };
  const workloadNode = (ref: WorkloadRef): GraphNode => (isKnown(ref) ? node(workloadNodeId(ref), 'workload', ref) : node(UnknownNodeId, 'unknown', { workload: 'unknown', namespace: '', version: '' }));
  const serviceNode = (cluster: string): GraphNode => {
    const host = serviceOfCluster(cluster);
    return node(`service:${host}`, 'service', { workload: host, namespace: '', version: '' });
  };
  const identity = (n: GraphNode, principal: string | undefined): void => {
    if (principal && principal !== 'unknown' && !n.identities.includes(principal)) n.identities.push(principal);
  };
  const edgeAcc = (from: GraphNode, to: GraphNode, protocol: 'http' | 'tcp', reporter: 'destination' | 'source'): EdgeAcc => {
    const id = `${protocol}:${from.id}->${to.id}`;
    let e = edges.get(id);
    if (!e) edges.set(id, (e = { edge: { id, source: from.id, target: to.id, protocol, reporter }, principals: new Set() }));
    return e;
  };
  /** Where a series' traffic belongs: its edge, and the destination's inbound signals when a sidecar told it. */
  const place = (labels: Labels, protocol: 'http' | 'tcp'): { edge: EdgeAcc; served?: string } | undefined => {
    const src = refFrom(labels, 'source');
    const dst = refFrom(labels, 'destination');
    if (labels.reporter === 'destination') {
      const to = workloadNode(dst);
      identity(to, labels.destination_principal);
      if (protocol === 'tcp' && labels.source_principal !== 'unknown') return undefined; // its source sidecar tells it
      const from = workloadNode(src);
      return { edge: edgeAcc(from, to, protocol, 'destination'), served: to.id };
    }
    if (labels.reporter !== 'source') return undefined;
    const from = workloadNode(src);
    identity(from, labels.source_principal);
    if (protocol === 'http' && isKnown(dst)) return undefined; // the destination sidecar tells it
    return { edge: edgeAcc(from, serviceNode(labels.destination_service ?? ''), protocol, 'source') };
  };

  for (const t of targets) {
    node(workloadNodeId(t.workload), 'workload', t.workload).proxies.push(t.proxy);
    if (t.window.seconds <= 0) continue;
    const perSecond = (v: number): number => v / t.window.seconds;
    for (const inc of t.window.increases) {
      const l = inc.labels;
      if (inc.name === MetricNames.requests || inc.name === MetricNames.durationBucket) {
        const at = place(l, 'http');
        if (!at) continue;
        const accs = [at.edge.http ??= new SignalsAcc()];
        if (at.served) {
          let s = inbound.get(at.served);
          if (!s) inbound.set(at.served, (s = new SignalsAcc()));
          accs.push(s);
        }
        if (inc.name === MetricNames.requests) {
          for (const a of accs) a.addRequests(l, perSecond(inc.value));
          if (at.served) {
            if (l.source_principal && l.source_principal !== 'unknown') {
              at.edge.http.mtls += inc.value;
              at.edge.principals.add(l.source_principal);
            } else {
              at.edge.http.plain += inc.value;
            }
          }
        } else {
          const le = parseLe(l.le);
          if (le !== undefined) for (const a of accs) mergeBuckets(a.buckets, le, inc.value);
        }
      } else if (inc.name === MetricNames.tcpOpened || inc.name === MetricNames.tcpSent || inc.name === MetricNames.tcpReceived) {
        const at = place(l, 'tcp');
        if (!at) continue;
        const tcp = (at.edge.tcp ??= { connectionsPerSecond: 0, bytesPerSecond: 0 });
        if (inc.name === MetricNames.tcpOpened) tcp.connectionsPerSecond += perSecond(inc.value);
        else tcp.bytesPerSecond += perSecond(inc.value);
        if (at.served && l.source_principal && l.source_principal !== 'unknown') at.edge.principals.add(l.source_principal);
      }
    }
  }
  for (const [id, acc] of inbound) nodes.get(id)!.inbound = acc.result();
  const out: GraphEdge[] = [...edges.values()].map((e) => {
    const http = e.http;
    let mtls: GraphEdge['mtls'] = 'unknown';
    if (e.edge.reporter === 'destination') {
      const m = http ? http.mtls : e.principals.size;
      const p = http ? http.plain : e.principals.size ? 0 : 1;
      mtls = m > 0 && p > 0 ? 'mixed' : m > 0 ? 'mTLS' : 'plaintext';
    }
    return { ...e.edge, signals: http ? http.result() : null, tcp: e.tcp ?? null, mtls, principals: [...e.principals].sort() };
  });
  for (const n of nodes.values()) n.identities.sort();
  return {
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges: out.sort((a, b) => a.id.localeCompare(b.id)),
  };
}
