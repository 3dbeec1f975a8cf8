/**
 * The dashboard's HTTP side, mounted by the control plane's monitoring server at `/`:
 *
 *   GET /                           the page (a static shell)
 *   GET /dashboard/app.js, app.css  its script and style
 *   GET /dashboard/vendor/dagre.min.js   the graph layout library, from node_modules
 *   GET /dashboard/api/view         the current view (JSON, core/view.ts)
 *   GET /dashboard/api/events       the view again after every scrape round (Server-Sent Events)
 *
 * Exposure: the dashboard shows the whole mesh (workloads, identities, traffic), so on Kubernetes it
 * answers only connections from the pod's own loopback — what `skein dashboard`'s port-forward
 * arrives on, as Istio's and Linkerd's dashboards are reached — and 403 to anyone else on the
 * monitoring port (Prometheus still scrapes /metrics). In local mode it answers wherever the
 * monitoring server listens (127.0.0.1 by default). In both, a request whose Host is a DNS name
 * other than `localhost` is refused (DNS rebinding), and the page runs under a CSP that allows only
 * its own scripts, so text from metrics can never become markup or code.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { isIP } from 'node:net';
import zlib from 'node:zlib';
import { type PolicyInput } from './core/policy';
import { proxyTarget, type KnownProxy } from './core/targets';
import { buildView, type DashboardView, type TypeSync } from './core/view';
import { MetricsScraper, type ScraperOptions } from './scraper';
import { appCss, iconSvg, indexHtml } from './web/page';

/** What the control plane tells the dashboard, read at every view. */
export interface MeshSnapshot {
  trustDomain: string;
  proxies: { proxy: KnownProxy; sync: TypeSync[]; connectedAt?: string }[];
  policy: PolicyInput;
}

export interface MeshSource {
  snapshot(): MeshSnapshot;
}

export interface DashboardOptions {
  /** `loopback`: answer only connections from this host's loopback (Kubernetes); `any`: whoever reaches the port. */
  access: 'loopback' | 'any';
  scraper?: ScraperOptions;
  /** Where the compiled browser script is (default: next to this file, `web/`). */
  webRoot?: string;
  /** At most this many live event streams (default 32). */
  maxStreams?: number;
}

const securityHeaders = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** `127.0.0.0/8`, `::1` and IPv4-mapped loopback. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** A Host header naming an IP literal or `localhost` (with or without a port); DNS names are refused. */
export function isAllowedHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name.toLowerCase() === 'localhost' || isIP(name) !== 0;
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { ...securityHeaders, 'content-type': type });
  res.end(body);
}

/** The compiled browser script as a classic script: tsc emits it as a CommonJS module with no imports. */
function loadScript(file: string): string {
  const code = fs.readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  return `(function (exports) {\n${code}\n})({});\n`;
}

function dagrePath(): string {
  return path.join(path.dirname(require.resolve('@dagrejs/dagre/package.json')), 'dist', 'dagre.min.js');
}

export class Dashboard {
  readonly scraper: MetricsScraper;
  /** The page's files, loaded once, each also gzipped (the page is ~77 KB plain, ~26 KB gzipped). */
  private readonly assets = new Map<string, { body: Buffer; gzipped: Buffer; type: string }>();
  private readonly streams = new Set<http.ServerResponse>();
  private readonly unsubscribe: () => void;

  constructor(private readonly source: MeshSource, private readonly options: DashboardOptions) {
    this.scraper = new MetricsScraper(() => this.source.snapshot().proxies.map((p) => proxyTarget(p.proxy)), options.scraper);
    this.unsubscribe = this.scraper.onRound(() => this.push());
  }

  /** The view now (also what the API answers). */
  view(): DashboardView {
    const snap = this.source.snapshot();
    return buildView({
      now: Date.now(),
      trustDomain: snap.trustDomain,
      windowMs: this.scraper.windowMs,
      intervalMs: this.scraper.intervalMs,
      policy: snap.policy,
      proxies: snap.proxies.map((p) => {
        const target = proxyTarget(p.proxy);
        const { window, scrape } = this.scraper.stateOf(target.id);
        return { target, sync: p.sync, ...(p.connectedAt ? { connectedAt: p.connectedAt } : {}), window, scrape };
      }),
    });
  }

  /** Serves the request if it is one of the dashboard's paths; false otherwise (the caller answers). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== '/' && pathname !== '/dashboard' && !pathname.startsWith('/dashboard/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'only GET\n', 'text/plain; charset=utf-8');
      return true;
    }
    if (this.options.access === 'loopback' && !isLoopback(req.socket.remoteAddress)) {
      send(res, 403, 'the dashboard answers only on the control plane pod\'s loopback: use `skein dashboard` (a port-forward)\n', 'text/plain; charset=utf-8');
      return true;
    }
    if (!isAllowedHost(req.headers.host)) {
      send(res, 403, 'open the dashboard by IP address or localhost (other host names are refused: DNS rebinding)\n', 'text/plain; charset=utf-8');
      return true;
    }
    try {
      this.route(pathname, req, res);
    } catch (err) {
      send(res, 500, `dashboard: ${(err as Error).message}\n`, 'text/plain; charset=utf-8');
    }
    return true;
  }

  private route(pathname: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    switch (pathname) {
      case '/':
      case '/dashboard':
      case '/dashboard/':
        return this.asset(req, res, '/', () => indexHtml, 'text/html; charset=utf-8');
      case '/dashboard/app.css':
        return this.asset(req, res, pathname, () => appCss, 'text/css; charset=utf-8');
      case '/dashboard/icon.svg':
        return this.asset(req, res, pathname, () => iconSvg, 'image/svg+xml');
      case '/dashboard/app.js':
        return this.asset(req, res, pathname, () => loadScript(path.join(this.options.webRoot ?? path.join(__dirname, 'web'), 'app.js')), 'text/javascript; charset=utf-8');
      case '/dashboard/vendor/dagre.min.js':
        return this.asset(req, res, pathname, () => fs.readFileSync(dagrePath()), 'text/javascript; charset=utf-8');
      case '/dashboard/api/view':
        this.scraper.watch();
        return send(res, 200, JSON.stringify(this.view()), 'application/json');
      case '/dashboard/api/events':
        return this.stream(res);
      default:
        return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
    }
  }

  private asset(req: http.IncomingMessage, res: http.ServerResponse, key: string, load: () => string | Buffer, type: string): void {
    let a = this.assets.get(key);
    if (!a) {
      const body = Buffer.from(load());
      this.assets.set(key, (a = { body, gzipped: zlib.gzipSync(body), type }));
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, { ...securityHeaders, 'content-type': a.type, vary: 'accept-encoding', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    res.end(gzip ? a.gzipped : a.body);
  }

  private stream(res: http.ServerResponse): void {
    if (this.streams.size >= (this.options.maxStreams ?? 32)) return send(res, 503, 'too many dashboard viewers\n', 'text/plain; charset=utf-8');
    res.writeHead(200, { ...securityHeaders, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write(`retry: ${this.scraper.intervalMs}\n\n`);
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    this.scraper.watch();
    this.write(res, this.view());
  }

  private write(res: http.ServerResponse, view: DashboardView): void {
    res.write(`event: view\ndata: ${JSON.stringify(view)}\n\n`);
  }

  /** After a scrape round: a new view to every stream, and the streams keep the scraper going. */
  private push(): void {
    if (this.streams.size === 0) return;
    this.scraper.watch();
    const view = this.view();
    for (const res of this.streams) this.write(res, view);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const res of this.streams) res.end();
    this.streams.clear();
    await this.scraper.close();
  }
}
