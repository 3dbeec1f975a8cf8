/**
 * The page shell and its style. Static text: nothing from the mesh is ever put into it; the script
 * (web/app.ts) fills the containers with DOM nodes built from the view, text only.
 */

export const indexHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Skein mesh dashboard</title>
<link rel="icon" href="/dashboard/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/vendor/dagre.min.js" defer></script>
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
  <h1><span class="mark" aria-hidden="true"></span>Skein <span class="sub">mesh dashboard</span></h1>
  <div id="status" class="status" role="status">connecting…</div>
</header>
<main>
  <section class="card topology wide">
    <div class="card-head"><h2>Topology</h2><span class="hint" id="graph-hint">workloads by version · calls over the last few seconds</span></div>
    <div id="graph" class="graph"></div>
    <div class="legend">
      <span><i class="swatch ok"></i>≥ 99 % success</span>
      <span><i class="swatch warn"></i>≥ 95 %</span>
      <span><i class="swatch bad"></i>below</span>
      <span><i class="swatch idle"></i>no traffic</span>
      <span><i class="line mtls"></i>mTLS</span>
      <span><i class="line plain"></i>plain text</span>
      <span><i class="line src"></i>told by the caller (no sidecar answered)</span>
    </div>
  </section>
  <section class="card"><div class="card-head"><h2>Workloads</h2><span class="hint">what each workload served · its SPIFFE identities</span></div><div class="scroll"><table id="workloads"></table></div></section>
  <section class="card"><div class="card-head"><h2>Traffic policy</h2><span class="hint">from the control plane's mesh model</span></div><div id="policy" class="policy"></div>
    <div class="card-head sub-head"><h2>Peer authentication</h2></div><div id="mtls"></div></section>
  <section class="card wide"><div class="card-head"><h2>Calls</h2><span class="hint">golden signals per edge</span></div><div class="scroll"><table id="calls"></table></div></section>
  <section class="card wide"><div class="card-head"><h2>Proxies</h2><span class="hint">xDS sync state per type · metrics scrape</span></div><div class="scroll"><table id="proxies"></table></div></section>
</main>
</body>
</html>
`;

/** The page's icon (the header's mark). */
export const iconSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#58a6ff"/><stop offset="1" stop-color="#3fb27f"/></linearGradient></defs><rect width="32" height="32" rx="8" fill="url(#g)"/></svg>
`;

export const appCss = `:root {
  --bg: #0f1419; --card: #171d25; --line: #263040; --text: #dce3ea; --muted: #8793a3;
  --ok: #3fb27f; --warn: #e0a526; --bad: #e5534b; --idle: #56616f; --accent: #58a6ff; --mtls: #3fb27f; --plain: #e0a526;
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; font-size: 14px;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; align-items: center; justify-content: space-between; padding: 14px 22px; border-bottom: 1px solid var(--line); background: #121820; }
h1 { margin: 0; font-size: 19px; font-weight: 650; letter-spacing: .2px; display: flex; align-items: center; gap: 10px; }
h1 .sub { color: var(--muted); font-weight: 400; }
.mark { width: 18px; height: 18px; border-radius: 5px; background: linear-gradient(135deg, #58a6ff, #3fb27f); display: inline-block; }
.status { color: var(--muted); font-size: 13px; display: flex; gap: 14px; align-items: center; }
.status .live { color: var(--ok); font-weight: 600; }
.status .live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--ok); margin-right: 6px; box-shadow: 0 0 0 3px rgba(63,178,127,.2); }
.status .down { color: var(--bad); font-weight: 600; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(320px, 420px); gap: 16px; padding: 16px 22px 28px; }
.sub-head { margin-top: 18px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
.card-head { display: flex; align-items: baseline; gap: 12px; margin-bottom: 10px; }
h2 { margin: 0; font-size: 14px; font-weight: 650; text-transform: uppercase; letter-spacing: .6px; color: #c4ceda; }
.hint { color: var(--muted); font-size: 12px; }
.wide { grid-column: 1 / -1; }
.graph { min-height: 240px; }
.graph svg { display: block; margin: 0 auto; width: 100%; height: auto; max-height: 640px; }
.graph .empty { color: var(--muted); padding: 60px 0; text-align: center; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; color: var(--muted); font-size: 12px; margin-top: 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.swatch { width: 10px; height: 10px; border-radius: 3px; display: inline-block; }
.swatch.ok { background: var(--ok); } .swatch.warn { background: var(--warn); } .swatch.bad { background: var(--bad); } .swatch.idle { background: var(--idle); }
.line { width: 22px; height: 0; border-top: 2px solid var(--mtls); display: inline-block; }
.line.plain { border-top: 2px dashed var(--plain); } .line.src { border-top: 2px dotted var(--muted); }
svg text { fill: var(--text); font-family: inherit; }
.node rect { fill: #1d2530; stroke-width: 1.5; }
.node.ok rect { stroke: var(--ok); } .node.warn rect { stroke: var(--warn); } .node.bad rect { stroke: var(--bad); } .node.idle rect { stroke: var(--idle); }
.node.unknown rect, .node.service rect { fill: #151a21; stroke-dasharray: 5 4; }
.node .bar { stroke: none; }
.node.ok .bar { fill: var(--ok); } .node.warn .bar { fill: var(--warn); } .node.bad .bar { fill: var(--bad); } .node.idle .bar { fill: var(--idle); }
.node .name { font-weight: 650; font-size: 13.5px; }
.node .version { fill: #9ecbff; font-size: 11.5px; font-weight: 600; }
.node .stats { fill: #c4ceda; font-size: 11.5px; }
.node .ident { fill: var(--muted); font-size: 10.5px; }
.edge path { fill: none; stroke-width: 2; }
.edge.mTLS path, .edge.mixed path { stroke: var(--mtls); }
.edge.plaintext path { stroke: var(--plain); stroke-dasharray: 6 4; }
.edge.unknown path { stroke: var(--muted); stroke-dasharray: 2 4; }
.edge.idle path { opacity: .35; }
.edge.bad path { stroke: var(--bad); }
.edge-label rect { fill: #0f1419; stroke: var(--line); }
.edge-label text { font-size: 11px; fill: #c4ceda; }
.edge-label .lock { fill: var(--mtls); font-weight: 700; }
.edge-label .lock-icon { fill: none; stroke: var(--mtls); stroke-width: 1.4; }
.edge-label .lock-icon .body { fill: var(--mtls); stroke: none; }
.edge-label .err { fill: var(--bad); }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 500; font-size: 12px; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 7px 10px; border-bottom: 1px solid #1f2731; vertical-align: top; }
tr:last-child td { border-bottom: none; }
td.num { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
th.num { text-align: right; }
.scroll { overflow-x: auto; }
.nowrap { white-space: nowrap; }
.small { font-size: 11.5px; margin-top: 2px; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
.muted { color: var(--muted); }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 600; margin: 0 4px 2px 0; white-space: nowrap; border: 1px solid transparent; }
.pill.SYNCED, .pill.ok, .pill.mTLS, .pill.STRICT { background: rgba(63,178,127,.14); color: var(--ok); border-color: rgba(63,178,127,.35); }
.pill.STALE, .pill.warn, .pill.mixed, .pill.PERMISSIVE, .pill.waiting { background: rgba(224,165,38,.12); color: var(--warn); border-color: rgba(224,165,38,.35); }
.pill.NACKED, .pill.bad, .pill.failed, .pill.DISABLE, .pill.plaintext { background: rgba(229,83,75,.13); color: var(--bad); border-color: rgba(229,83,75,.35); }
.pill.NOT\\ SENT, .pill.idle, .pill.unknown, .pill.UNSET { background: rgba(135,147,163,.12); color: var(--muted); border-color: rgba(135,147,163,.3); }
.seen::after { content: " ✓"; color: var(--ok); }
.policy .host { margin-bottom: 14px; }
.policy .host:last-child { margin-bottom: 0; }
.policy .host-name { font-weight: 650; margin-bottom: 2px; }
.policy .src { color: var(--muted); font-size: 11.5px; margin-bottom: 6px; }
.policy .rule { border-left: 2px solid var(--line); padding: 4px 0 4px 10px; margin: 6px 0; }
.policy .match { color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.policy .dest { display: grid; grid-template-columns: 1fr 48px; gap: 2px 10px; align-items: center; margin: 3px 0; }
.policy .dest .label { font-size: 12.5px; }
.policy .dest .w { text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
.policy .weight { grid-column: 1 / -1; height: 6px; background: #222b36; border-radius: 4px; overflow: hidden; }
.policy .weight i { display: block; height: 100%; background: linear-gradient(90deg, #58a6ff, #7cc4ff); }
.policy .note, .policy .dp { font-size: 12px; color: #c4ceda; }
.policy .dp { color: var(--muted); }
.empty-note { color: var(--muted); font-size: 13px; }
`;
