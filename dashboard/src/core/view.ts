/**
 * Everything the page shows, in one JSON document (pure): the graph with golden signals, each
 * workload's identities, each proxy's xDS sync state and scrape state, and the policy in force.
 * The browser only draws it; every number and rule is decided here.
 */
import { formatSpiffeId } from '../../../api/src/spiffe';
import { buildGraph, type GraphEdge, type GraphNode, type TargetData, workloadNodeId } from './graph';
import { policyView, type PolicyInput, type PolicyView } from './policy';
import { type ProxyTarget } from './targets';
import { type TargetWindow } from './window';

export type SyncStatus = 'SYNCED' | 'NOT SENT' | 'STALE' | 'NACKED';

export interface TypeSync {
  /** CDS, EDS, LDS, RDS. */
  type: string;
  status: SyncStatus;
  /** Last version sent. */
  version?: string;
  /** NACK reason. */
  message?: string;
}

export interface ScrapeState {
  /** `ok`: the last scrape answered; `failed`: it did not; `waiting`: not scraped yet. */
  state: 'ok' | 'failed' | 'waiting';
  error?: string;
  /** Lines of the last answer that were not valid Prometheus text. */
  malformed?: number;
}

export interface ProxyInput {
  target: ProxyTarget;
  sync: TypeSync[];
  connectedAt?: string;
  scrape: ScrapeState;
  window: TargetWindow;
}

export interface IdentityView {
  spiffeId: string;
  /** Seen in traffic (a certificate a sidecar verified or presented), not only expected from the proxy's service account. */
  seen: boolean;
}

export interface NodeView extends Omit<GraphNode, 'identities'> {
  identities: IdentityView[];
  /** Worst sync state of its proxies (NACKED > STALE > NOT SENT > SYNCED); null without proxies. */
  sync: SyncStatus | null;
}

export interface EdgeView extends GraphEdge {
  /** Share of the caller's requests to this workload's versions that went to this one (0…1), when there are several. */
  share: number | null;
}

export interface ProxyView {
  id: string;
  pod: string;
  namespace: string;
  node: string;
  sync: TypeSync[];
  status: SyncStatus;
  connectedAt?: string;
  metricsUrl?: string;
  scrape: ScrapeState;
  note?: string;
}

export interface DashboardView {
  generatedAt: string;
  windowSeconds: number;
  scrapeIntervalSeconds: number;
  proxiesScraped: number;
  nodes: NodeView[];
  edges: EdgeView[];
  proxies: ProxyView[];
  policy: PolicyView;
}

export interface ViewInput {
  now: number;
  trustDomain: string;
  windowMs: number;
  intervalMs: number;
  proxies: readonly ProxyInput[];
  policy: PolicyInput;
}

const severity: Record<SyncStatus, number> = { SYNCED: 0, 'NOT SENT': 1, STALE: 2, NACKED: 3 };

export function worstSync(states: readonly SyncStatus[]): SyncStatus | null {
  if (states.length === 0) return null;
  return states.reduce((a, b) => (severity[b] > severity[a] ? b : a));
}

/**
 * The proxy's overall state: the worst of the types it was sent (a type it never subscribed to, e.g.
 * RDS on a TCP-only proxy, stays NOT SENT without making the proxy look unsynced); NOT SENT when
 * nothing was sent yet.
 */
export function proxyStatus(sync: readonly TypeSync[]): SyncStatus {
  return worstSync(sync.map((s) => s.status).filter((s) => s !== 'NOT SENT')) ?? 'NOT SENT';
}

export function buildView(input: ViewInput): DashboardView {
  const targets: TargetData[] = input.proxies.map((p) => ({ proxy: p.target.id, workload: p.target.workload, window: p.window }));
  const graph = buildGraph(targets);
  const proxies: ProxyView[] = input.proxies.map((p) => ({
    id: p.target.id,
    pod: p.target.pod,
    namespace: p.target.namespace,
    node: workloadNodeId(p.target.workload),
    sync: p.sync,
    status: proxyStatus(p.sync),
    ...(p.connectedAt ? { connectedAt: p.connectedAt } : {}),
    ...(p.target.metricsUrl ? { metricsUrl: p.target.metricsUrl } : {}),
    scrape: p.scrape,
    ...(p.target.note ? { note: p.target.note } : {}),
  })).sort((a, b) => a.id.localeCompare(b.id));
  const nodes: NodeView[] = graph.nodes.map((n) => {
    const mine = input.proxies.filter((p) => n.proxies.includes(p.target.id));
    const expected = mine.flatMap((p) => (p.target.serviceAccount ? [formatSpiffeId({ trustDomain: input.trustDomain, namespace: p.target.namespace, serviceAccount: p.target.serviceAccount })] : []));
    const identities = [...new Set([...n.identities, ...expected])].sort().map((spiffeId) => ({ spiffeId, seen: n.identities.includes(spiffeId) }));
    return { ...n, identities, sync: worstSync(mine.map((p) => proxyStatus(p.sync))) };
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const groupOf = (e: GraphEdge): string => {
    const t = byId.get(e.target);
    return `${e.protocol}|${e.source}|${t?.kind === 'workload' ? `${t.namespace}/${t.name}` : e.target}`;
  };
  const groups = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) groups.set(groupOf(e), [...(groups.get(groupOf(e)) ?? []), e]);
  const edges: EdgeView[] = graph.edges.map((e) => {
    const group = groups.get(groupOf(e))!;
    const total = group.reduce((sum, g) => sum + (g.signals?.rps ?? 0), 0);
    return { ...e, share: group.length > 1 && total > 0 ? (e.signals?.rps ?? 0) / total : null };
  });
  return {
    generatedAt: new Date(input.now).toISOString(),
    windowSeconds: input.windowMs / 1000,
    scrapeIntervalSeconds: input.intervalMs / 1000,
    proxiesScraped: input.proxies.filter((p) => p.scrape.state === 'ok').length,
    nodes,
    edges,
    proxies,
    policy: policyView(input.policy),
  };
}
