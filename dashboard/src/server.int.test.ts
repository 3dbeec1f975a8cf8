/**
 * The dashboard's server and scraper over real sockets: proxies' Prometheus endpoints (small HTTP
 * servers answering what a proxy answers), the JSON view with live rates, the event stream, and
 * scrapes that fail in every way a proxy can fail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type KnownProxy } from './core/targets';
import { type DashboardView } from './core/view';
import { MetricsScraper } from './scraper';
import { Dashboard, type MeshSource } from './server';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  })));
});

async function listen(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
}

/** A proxy's /stats/prometheus: `count` requests from frontend to reviews v1 so far (+10 per scrape). */
async function fakeProxy(): Promise<{ port: number; scrapes: () => number }> {
  let n = 0;
  const port = await listen((req, res) => {
    if (req.url !== '/stats/prometheus') return res.writeHead(404).end();
    n++;
    const l = 'reporter="destination",source_workload="frontend",source_workload_namespace="default",source_version="v1",source_principal="spiffe://cluster.local/ns/default/sa/frontend",destination_workload="reviews",destination_workload_namespace="default",destination_version="v1",destination_principal="spiffe://cluster.local/ns/default/sa/reviews",response_code="200",response_flags="-"';
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# HELP skein_requests_total x\n# TYPE skein_requests_total counter\nskein_requests_total{${l}} ${n * 10}\nskein_proxy_process_cpu_seconds_total 1\n`);
  });
  return { port, scrapes: () => n };
}

const known = (port: number, pod = 'reviews-v1'): KnownProxy => ({ id: `sidecar~127.0.0.1~${pod}.default~default.svc.cluster.local`, ip: '127.0.0.1', pod, namespace: 'default', metadata: { WORKLOAD_NAME: 'reviews', LABELS: { version: 'v1' }, SKEIN_PROMETHEUS_PORT: String(port) } });

function sourceOf(proxies: KnownProxy[]): MeshSource {
  return { snapshot: () => ({ trustDomain: 'cluster.local', proxies: proxies.map((proxy) => ({ proxy, sync: [{ type: 'CDS', status: 'SYNCED' as const, version: '1' }] })), policy: { clusterDomain: 'cluster.local', rootNamespace: 'skein-system', virtualServices: [], destinationRules: [], peerAuthentications: [] } }) };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('dashboard server over real sockets', () => {
  jest.setTimeout(30_000);

  it('scrapes the proxies while the view is asked for and turns their counters into rates', async () => {
    const proxy = await fakeProxy();
    const d = new Dashboard(sourceOf([known(proxy.port)]), { access: 'loopback', scraper: { intervalMs: 100, windowMs: 5000 } });
    const port = await listen((req, res) => {
      if (!d.handle(req, res)) res.writeHead(404).end();
    });
    try {
      const view = async (): Promise<DashboardView> => (await (await fetch(`http://127.0.0.1:${port}/dashboard/api/view`)).json()) as DashboardView;
      const first = await view();
      expect(first.proxies.map((p) => [p.pod, p.metricsUrl])).toEqual([['reviews-v1', `http://127.0.0.1:${proxy.port}/stats/prometheus`]]);
      const edge = await until('a rate on the edge', async () => (await view()).edges.find((e) => (e.signals?.rps ?? 0) > 0));
      expect(edge).toMatchObject({ source: 'default/frontend/v1', target: 'default/reviews/v1', mtls: 'mTLS', principals: ['spiffe://cluster.local/ns/default/sa/frontend'], signals: { successRate: 1 } });
      const res = await fetch(`http://127.0.0.1:${port}/dashboard/api/view`);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      await res.arrayBuffer();
    } finally {
      await d.close();
    }
  });

  it('streams a new view after every scrape round (Server-Sent Events) and serves the page\'s files', async () => {
    const proxy = await fakeProxy();
    const d = new Dashboard(sourceOf([known(proxy.port)]), { access: 'any', scraper: { intervalMs: 100 } });
    const port = await listen((req, res) => {
      if (!d.handle(req, res)) res.writeHead(404).end();
    });
    try {
      const events = await new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        const req = http.get(`http://127.0.0.1:${port}/dashboard/api/events`, (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
          let buf = '';
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              if (block.startsWith('event: view\n')) got.push(block);
              if (got.length === 3) {
                req.destroy();
                resolve(got);
              }
            }
          });
        });
        req.on('error', (e) => (got.length < 3 ? reject(e) : undefined));
      });
      expect(events.map((e) => (JSON.parse(e.slice(e.indexOf('data: ') + 6)) as DashboardView).proxies.length)).toEqual([1, 1, 1]);
      for (const [p, type] of [['/dashboard/app.css', 'text/css'], ['/dashboard/vendor/dagre.min.js', 'text/javascript'], ['/dashboard/icon.svg', 'image/svg+xml'], ['/', 'text/html']] as const) {
        const r = await fetch(`http://127.0.0.1:${port}${p}`);
        expect([p, r.status, r.headers.get('content-type')?.split(';')[0], r.headers.get('content-encoding')]).toEqual([p, 200, type, 'gzip']);
        await r.arrayBuffer();
      }
    } finally {
      await d.close();
    }
  });
});

describe('scraper', () => {
  jest.setTimeout(30_000);

  it('marks each failure of a proxy with its reason and keeps going with the others', async () => {
    const good = await fakeProxy();
    const refused = await listen(() => undefined);
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const silent = await listen(() => undefined); // accepts, never answers
    const broken = await listen((_q, res) => res.writeHead(500).end('boom'));
    const huge = await listen((_q, res) => res.end('x'.repeat(2048)));
    const odd = await listen((_q, res) => res.end('skein_requests_total{reporter="source"} 1\nskein_requests_total{reporter="source 2\nnot_read_by_the_dashboard{ 3\n'));
    const targets = [['good', good.port], ['refused', refused], ['silent', silent], ['broken', broken], ['huge', huge], ['odd', odd]] as const;
    const scraper = new MetricsScraper(() => targets.map(([pod, port]) => ({ id: pod, pod, namespace: 'default', workload: { workload: pod, namespace: 'default', version: 'v1' }, serviceAccount: pod, metricsUrl: `http://127.0.0.1:${port}/stats/prometheus` })), { timeoutMs: 300, maxBytes: 1024 });
    await scraper.scrapeOnce();
    expect(Object.fromEntries(targets.map(([pod]) => [pod, scraper.stateOf(pod).scrape]))).toEqual({
      good: { state: 'ok' },
      refused: { state: 'failed', error: expect.stringContaining('ECONNREFUSED') },
      silent: { state: 'failed', error: 'no answer within 300 ms' },
      broken: { state: 'failed', error: 'HTTP 500' },
      huge: { state: 'failed', error: 'answer over 1024 bytes' },
      odd: { state: 'ok', malformed: 1 },
    });
    expect(scraper.stateOf('nobody').scrape).toEqual({ state: 'waiting' });
    await scraper.close();
  });

  it('scrapes only while watched: rounds stop once nobody asked for idleMs', async () => {
    const proxy = await fakeProxy();
    const scraper = new MetricsScraper(() => [{ id: 'p', pod: 'p', namespace: 'default', workload: { workload: 'p', namespace: 'default', version: 'v1' }, serviceAccount: 'p', metricsUrl: `http://127.0.0.1:${proxy.port}/stats/prometheus` }], { intervalMs: 50, idleMs: 300 });
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.scrapes()).toBe(0); // nobody watched yet
    scraper.watch();
    await until('a few rounds', async () => (proxy.scrapes() >= 3 ? true : undefined));
    await until('the rounds to stop', async () => {
      const n = proxy.scrapes();
      await new Promise((r) => setTimeout(r, 400));
      return proxy.scrapes() === n ? true : undefined;
    });
    await scraper.close();
  });
});
