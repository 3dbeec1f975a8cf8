/// <reference lib="dom" />
/**
 * The dashboard page's script (runs in the browser; the server serves tsc's output as a classic
 * script). It receives the view (core/view.ts) over Server-Sent Events — or polls every 2 s where
 * EventSource is missing — lays the graph out with dagre, and draws it as SVG, with tables beside.
 *
 * Everything from the mesh (workload names, identities, labels, messages) is user data: it only ever
 * becomes text (`textContent`, attribute values via `setAttribute`), never markup. No `innerHTML`.
 */
import type { DashboardView, EdgeView, NodeView, ProxyView, TypeSync } from '../core/view';
import type { Signals } from '../core/graph';

interface DagreGraph {
  setGraph(label: Record<string, unknown>): void;
  setDefaultEdgeLabel(f: () => Record<string, unknown>): void;
  setNode(id: string, label: { width: number; height: number }): void;
  setEdge(source: string, target: string, label: Record<string, unknown>, name?: string): void;
  node(id: string): { x: number; y: number; width: number; height: number };
  edge(source: string, target: string, name?: string): { points: { x: number; y: number }[]; x?: number; y?: number };
  graph(): { width?: number; height?: number };
}
declare const dagre: { graphlib: { Graph: new (o?: { multigraph?: boolean }) => DagreGraph }; layout(g: DagreGraph): void };

const SVG = 'http://www.w3.org/2000/svg';
const NodeW = 206;
const NodeH = 74;
const LabelW = 184;
const LabelH = 34;

type Attrs = Record<string, string | number | undefined>;

/** An element with attributes and children; strings become text nodes. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  fill(e, attrs, children);
  return e;
}

function svg(tag: string, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): SVGElement {
  const e = document.createElementNS(SVG, tag) as SVGElement;
  fill(e, attrs, children);
  return e;
}

function fill(e: Element, attrs: Attrs, children: (Node | string | null | undefined)[]): void {
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
}

// ───────────── numbers ─────────────

function rps(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}
function pct(r: number | null): string {
  if (r === null) return '–';
  const p = r * 100;
  return p === 100 ? '100 %' : `${p.toFixed(p >= 99.95 ? 2 : 1)} %`;
}
function ms(v: number | null): string {
  if (v === null) return '–';
  return v < 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(0)} ms`;
}
function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB/s`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB/s`;
  return `${n.toFixed(0)} B/s`;
}
function health(s: Signals | null | undefined): 'ok' | 'warn' | 'bad' | 'idle' {
  if (!s || s.successRate === null || s.rps <= 0) return 'idle';
  if (s.successRate >= 0.99) return 'ok';
  return s.successRate >= 0.95 ? 'warn' : 'bad';
}
function errorsText(s: Signals | null): string {
  return s && s.errors.length ? s.errors.map((e) => `${e.code === '0' ? 'no response' : e.code}${e.flags !== '-' ? ` ${e.flags}` : ''} ${rps(e.rps)}/s`).join(', ') : '';
}
function shortId(spiffeId: string): string {
  const m = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(spiffeId);
  return m ? `ns/${m[1]}/sa/${m[2]}` : spiffeId;
}
function nodeLabel(n: NodeView | undefined, fallback: string): string {
  if (!n) return fallback;
  if (n.kind !== 'workload') return n.name;
  return `${n.name}${n.version !== 'unknown' ? ` ${n.version}` : ''}`;
}

// ───────────── graph ─────────────

let layoutKey = '';
let layout: DagreGraph | undefined;

function computeLayout(view: DashboardView): DagreGraph {
  const key = JSON.stringify([view.nodes.map((n) => n.id), view.edges.map((e) => e.id)]);
  if (layout && key === layoutKey) return layout;
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 28, edgesep: 20, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of view.nodes) g.setNode(n.id, { width: NodeW, height: NodeH });
  for (const e of view.edges) g.setEdge(e.source, e.target, { width: LabelW, height: LabelH, labelpos: 'c' }, e.id);
  dagre.layout(g);
  layoutKey = key;
  layout = g;
  return g;
}

/** A smooth path through dagre's points (uniform B-spline, as d3's curveBasis). */
function splinePath(pts: { x: number; y: number }[]): string {
  if (pts.length < 3) return pts.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
  let d = `M${pts[0]!.x},${pts[0]!.y} L${(5 * pts[0]!.x + pts[1]!.x) / 6},${(5 * pts[0]!.y + pts[1]!.y) / 6}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const p0 = pts[i - 1]!;
    const p1 = pts[i]!;
    const p2 = pts[i + 1]!;
    d += ` C${(2 * p0.x + p1.x) / 3},${(2 * p0.y + p1.y) / 3} ${(p0.x + 2 * p1.x) / 3},${(p0.y + 2 * p1.y) / 3} ${(p0.x + 4 * p1.x + p2.x) / 6},${(p0.y + 4 * p1.y + p2.y) / 6}`;
  }
  const a = pts[pts.length - 2]!;
  const b = pts[pts.length - 1]!;
  d += ` C${(2 * a.x + b.x) / 3},${(2 * a.y + b.y) / 3} ${(a.x + 2 * b.x) / 3},${(a.y + 2 * b.y) / 3} ${b.x},${b.y}`;
  return d;
}

/** A small padlock (no emoji: the browser may have no emoji font). */
function lockIcon(x: number, y: number): SVGElement {
  return svg('g', { class: 'lock-icon', transform: `translate(${x},${y})` },
    svg('path', { d: 'M2.5,5 V3.5 a2.5,2.5 0 0 1 5,0 V5' }),
    svg('rect', { class: 'body', x: 1, y: 5, width: 8, height: 6, rx: 1.2 }));
}

function edgeSummary(e: EdgeView): string {
  if (e.protocol === 'tcp') return e.tcp ? `${rps(e.tcp.connectionsPerSecond)} conn/s · ${bytes(e.tcp.bytesPerSecond)}` : 'tcp';
  const s = e.signals;
  if (!s) return '–';
  return `${rps(s.rps)} rps · ${pct(s.successRate)}${s.p99Ms !== null ? ` · p99 ${ms(s.p99Ms)}` : ''}`;
}

function drawGraph(view: DashboardView): void {
  const host = document.getElementById('graph')!;
  if (view.nodes.length === 0) {
    host.replaceChildren(el('div', { class: 'empty' }, 'No proxies connected yet.'));
    return;
  }
  const g = computeLayout(view);
  const size = g.graph();
  const width = Math.max(size.width ?? 0, 200);
  const height = Math.max(size.height ?? 0, 120);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'mesh topology' });
  root.append(svg('defs', {},
    ...['mTLS', 'mixed', 'plaintext', 'unknown', 'bad'].map((k) => svg('marker', { id: `arrow-${k}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: k === 'plaintext' ? '#e0a526' : k === 'unknown' ? '#8793a3' : k === 'bad' ? '#e5534b' : '#3fb27f' }))),
  ));
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  for (const e of view.edges) {
    const laid = g.edge(e.source, e.target, e.id);
    const h = health(e.signals);
    const idle = e.protocol === 'http' ? h === 'idle' : !e.tcp || e.tcp.connectionsPerSecond + e.tcp.bytesPerSecond <= 0;
    const arrow = h === 'bad' ? 'bad' : e.mtls;
    const title = `${nodeLabel(byId.get(e.source), e.source)} → ${nodeLabel(byId.get(e.target), e.target)} (${e.protocol}, ${e.mtls}; told by the ${e.reporter})${e.principals.length ? `\ncaller identity: ${e.principals.join(', ')}` : ''}${errorsText(e.signals) ? `\nerrors: ${errorsText(e.signals)}` : ''}`;
    const group = svg('g', { class: `edge ${e.mtls}${idle ? ' idle' : ''}${h === 'bad' ? ' bad' : ''}`, 'data-edge': e.id },
      svg('title', {}, title),
      svg('path', { d: splinePath(laid.points), 'marker-end': `url(#arrow-${arrow})` }));
    root.append(group);
    if (laid.x !== undefined && laid.y !== undefined) {
      const x = laid.x - LabelW / 2;
      const y = laid.y - LabelH / 2;
      const transport = e.mtls === 'mTLS' ? 'mTLS' : e.mtls === 'plaintext' ? 'plain text' : e.mtls === 'mixed' ? 'mTLS + plain' : 'caller\'s view';
      const share = e.share !== null ? ` · ${(e.share * 100).toFixed(0)} % of calls` : '';
      const secure = e.mtls === 'mTLS' || e.mtls === 'mixed';
      root.append(svg('g', { class: 'edge-label', 'data-edge-label': e.id },
        svg('rect', { x, y, width: LabelW, height: LabelH, rx: 6 }),
        svg('text', { x: x + 8, y: y + 14, class: 'edge-rps' }, edgeSummary(e)),
        secure ? lockIcon(x + 8, y + 19) : null,
        svg('text', { x: x + (secure ? 20 : 8), y: y + 28 }, svg('tspan', { class: secure ? 'lock' : '' }, transport), share, errorsText(e.signals) ? svg('tspan', { class: 'err' }, ' · errors') : null)));
    }
  }
  for (const n of view.nodes) {
    const laid = g.node(n.id);
    const x = laid.x - NodeW / 2;
    const y = laid.y - NodeH / 2;
    const h = n.kind === 'workload' ? health(n.inbound) : 'idle';
    const ident = n.identities.find((i) => i.seen) ?? n.identities[0];
    const stats = n.inbound ? `${rps(n.inbound.rps)} rps · ${pct(n.inbound.successRate)} · p50 ${ms(n.inbound.p50Ms)}` : n.kind === 'workload' ? 'no inbound traffic' : n.kind === 'unknown' ? 'callers without a sidecar' : 'service (no sidecar answered)';
    const title = `${nodeLabel(n, n.id)}${n.namespace ? ` (namespace ${n.namespace})` : ''}\n${n.identities.map((i) => `${i.spiffeId}${i.seen ? ' (seen in traffic)' : ' (expected)'}`).join('\n')}${n.sync ? `\nproxies: ${n.proxies.length}, xDS ${n.sync}` : ''}`;
    root.append(svg('g', { class: `node ${n.kind} ${h}`, 'data-node': n.id, transform: `translate(${x},${y})` },
      svg('title', {}, title),
      svg('rect', { width: NodeW, height: NodeH, rx: 9 }),
      n.kind === 'workload' ? svg('rect', { class: 'bar', x: 0, y: 10, width: 4, height: NodeH - 20, rx: 2 }) : null,
      svg('text', { x: 14, y: 21, class: 'name' }, n.name, n.kind === 'workload' && n.version !== 'unknown' ? svg('tspan', { class: 'version', dx: 6 }, n.version) : null),
      svg('text', { x: 14, y: 40, class: 'stats' }, stats),
      svg('text', { x: 14, y: 58, class: 'ident' }, ident ? `${shortId(ident.spiffeId)}${n.sync ? ` · ${n.sync}` : ''}` : n.namespace ? `namespace ${n.namespace}` : '')));
  }
  host.replaceChildren(root);
}

// ───────────── tables ─────────────

function pill(text: string, kind: string = text): HTMLElement {
  return el('span', { class: `pill ${kind}` }, text);
}

function table(id: string, head: (string | [string, string])[], rows: HTMLTableRowElement[], empty: string): void {
  const t = document.getElementById(id)!;
  const th = el('tr', {}, ...head.map((h) => (Array.isArray(h) ? el('th', { class: h[1] }, h[0]) : el('th', {}, h))));
  const body = rows.length ? rows : [el('tr', {}, el('td', { colspan: head.length, class: 'muted' }, empty))];
  t.replaceChildren(el('thead', {}, th), el('tbody', {}, ...body));
}

function workloadRows(view: DashboardView): HTMLTableRowElement[] {
  return view.nodes.filter((n) => n.kind === 'workload').map((n) => el('tr', { 'data-node': n.id },
    el('td', { class: 'nowrap' }, el('strong', {}, n.name), ' ', n.version !== 'unknown' ? pill(n.version, 'idle') : null, el('div', { class: 'muted small' }, n.namespace)),
    el('td', { class: 'num' }, n.inbound ? rps(n.inbound.rps) : '–'),
    el('td', { class: 'num' }, pct(n.inbound?.successRate ?? null)),
    el('td', { class: 'num' }, ms(n.inbound?.p50Ms ?? null)),
    el('td', { class: 'num' }, ms(n.inbound?.p99Ms ?? null)),
    el('td', { class: 'mono identities nowrap' }, ...n.identities.flatMap((i, k) => [k ? el('br') : null, el('span', { class: i.seen ? 'seen' : 'muted', title: i.seen ? 'seen in traffic' : 'expected from the proxy\'s service account' }, i.spiffeId)])),
    el('td', { class: 'nowrap' }, n.sync ? pill(n.sync) : el('span', { class: 'muted' }, '–'), el('div', { class: 'muted small' }, `${n.proxies.length} ${n.proxies.length === 1 ? 'proxy' : 'proxies'}`)),
  ));
}

function callRows(view: DashboardView): HTMLTableRowElement[] {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  return view.edges.map((e) => el('tr', { 'data-edge': e.id },
    el('td', {}, nodeLabel(byId.get(e.source), e.source), el('span', { class: 'muted' }, ' → '), nodeLabel(byId.get(e.target), e.target)),
    el('td', {}, e.protocol.toUpperCase()),
    el('td', { class: 'num edge-rps' }, e.protocol === 'tcp' ? (e.tcp ? `${rps(e.tcp.connectionsPerSecond)} conn/s` : '–') : rps(e.signals?.rps ?? 0)),
    el('td', { class: 'num' }, e.share !== null ? `${(e.share * 100).toFixed(1)} %` : ''),
    el('td', { class: 'num' }, e.protocol === 'tcp' ? (e.tcp ? bytes(e.tcp.bytesPerSecond) : '–') : pct(e.signals?.successRate ?? null)),
    el('td', { class: 'num' }, ms(e.signals?.p50Ms ?? null)),
    el('td', { class: 'num' }, ms(e.signals?.p99Ms ?? null)),
    el('td', {}, errorsText(e.signals) || el('span', { class: 'muted' }, 'none')),
    el('td', {}, pill(e.mtls), ...e.principals.map((p) => el('div', { class: 'mono' }, p))),
    el('td', { class: 'muted' }, e.reporter),
  ));
}

function syncPills(sync: TypeSync[]): (HTMLElement | string)[] {
  if (!sync.length) return [pill('NOT SENT')];
  return sync.map((s) => {
    const p = pill(`${s.type} ${s.status}`, s.status);
    p.title = `${s.type}: ${s.status}${s.version ? `, version ${s.version}` : ''}${s.message ? `\n${s.message}` : ''}`;
    return p;
  });
}

function proxyRows(proxies: ProxyView[]): HTMLTableRowElement[] {
  return proxies.map((p) => el('tr', { 'data-proxy': p.id },
    el('td', {}, el('strong', {}, p.pod), el('div', { class: 'mono muted' }, p.id)),
    el('td', {}, p.namespace),
    el('td', {}, pill(p.status), el('div', {}, ...syncPills(p.sync)), ...p.sync.filter((s) => s.message).map((s) => el('div', { class: 'mono muted' }, `${s.type}: ${s.message}`))),
    el('td', {}, pill(p.scrape.state), p.metricsUrl ? el('div', { class: 'mono muted' }, p.metricsUrl) : null, p.scrape.error ? el('div', { class: 'muted' }, p.scrape.error) : null, p.note ? el('div', { class: 'muted' }, p.note) : null),
  ));
}

function drawPolicy(view: DashboardView): void {
  const host = document.getElementById('policy')!;
  const hosts = view.policy.hosts;
  if (!hosts.length) {
    host.replaceChildren(el('div', { class: 'empty-note' }, 'No VirtualService or DestinationRule: every service is reached round-robin over all its endpoints.'));
  } else {
    host.replaceChildren(...hosts.map((h) => el('div', { class: 'host', 'data-host': h.host },
      el('div', { class: 'host-name mono' }, h.host),
      el('div', { class: 'src' }, h.sources.join(' · ')),
      ...h.rules.map((r) => el('div', { class: 'rule' },
        el('div', { class: 'match' }, `${r.protocol.toUpperCase()} · ${r.match.length ? r.match.join(' or ') : 'every request'}`),
        ...r.destinations.map((d) => el('div', { class: 'dest', 'data-subset': d.subset ?? '' },
          el('span', { class: 'label' }, d.subset ? `${d.subset}${d.labels ? ` (${d.labels})` : ''}` : d.host, d.port ? ` :${d.port}` : '', d.subset && d.host !== h.host ? el('span', { class: 'muted' }, ` ${d.host}`) : null),
          el('span', { class: 'w' }, `${d.weight} %`),
          el('div', { class: 'weight' }, el('i', { 'data-w': d.weight })))),
        ...r.notes.map((n) => el('div', { class: 'note' }, n)))),
      ...h.destinationPolicy.map((d) => el('div', { class: 'dp' }, d)))));
    // Widths through the CSSOM (the CSP forbids inline style attributes).
    host.querySelectorAll<HTMLElement>('.weight i').forEach((i) => (i.style.width = `${Number(i.dataset.w ?? 0)}%`));
  }
  const mtls = document.getElementById('mtls')!;
  mtls.replaceChildren(view.policy.mtls.length
    ? el('div', {}, ...view.policy.mtls.map((m) => el('div', { class: 'dp' }, pill(m.mode), `${m.scope}${m.ports.length ? ` (ports ${m.ports.join(', ')})` : ''}`, el('span', { class: 'muted' }, ` · ${m.source}`))))
    : el('div', { class: 'empty-note' }, 'No PeerAuthentication: PERMISSIVE everywhere (sidecars talk mTLS to each other, plain text is still accepted).'));
}

function drawStatus(view: DashboardView, live: boolean): void {
  const s = document.getElementById('status')!;
  const time = new Date(view.generatedAt).toLocaleTimeString();
  const waiting = view.proxies.filter((p) => p.scrape.state === 'waiting').length;
  s.replaceChildren(
    el('span', { class: live ? 'live' : 'down' }, live ? 'live' : 'reconnecting'),
    el('span', {}, `updated ${time}`),
    el('span', {}, `${view.proxiesScraped}/${view.proxies.length} proxies scraped${waiting ? `, ${waiting} waiting` : ''}`),
    el('span', {}, `window ${view.windowSeconds} s`),
  );
  document.getElementById('graph-hint')!.textContent = `workloads by version · calls over the last ${view.windowSeconds} s`;
}

let lastView: DashboardView | undefined;

function render(view: DashboardView, live = true): void {
  lastView = view;
  drawStatus(view, live);
  drawGraph(view);
  drawPolicy(view);
  table('workloads', ['workload', ['rps', 'num'], ['success', 'num'], ['p50', 'num'], ['p99', 'num'], 'SPIFFE identities', 'proxies (xDS)'], workloadRows(view), 'No workloads yet.');
  table('calls', ['call', 'protocol', ['rps', 'num'], ['share', 'num'], ['success', 'num'], ['p50', 'num'], ['p99', 'num'], 'errors (code, flags)', 'transport · caller identity', 'told by'], callRows(view), 'No calls observed yet.');
  table('proxies', ['proxy', 'namespace', 'xDS sync', 'metrics'], proxyRows(view.proxies), 'No proxy is connected to the control plane.');
}

function poll(): void {
  const tick = (): void => {
    fetch('/dashboard/api/view').then((r) => r.json() as Promise<DashboardView>).then((v) => render(v), () => lastView && render(lastView, false)).finally(() => setTimeout(tick, 2000));
  };
  tick();
}

function connect(): void {
  if (typeof EventSource === 'undefined') return poll();
  const events = new EventSource('/dashboard/api/events');
  events.addEventListener('view', (e) => render(JSON.parse((e as MessageEvent<string>).data) as DashboardView));
  events.addEventListener('error', () => lastView && render(lastView, false));
}

connect();
