/**
 * Scrapes the proxies' Prometheus endpoints for the dashboard — only while someone is looking: the
 * first viewer starts a round every `intervalMs`, and rounds stop `idleMs` after the last viewer
 * asked (a control plane nobody watches does no scraping). Each proxy keeps the scrapes of the last
 * `windowMs`; rates and quantiles over them are computed by the pure core (core/window.ts).
 *
 * It lives in dashboard/, not in the operator: the metrics aggregation is the dashboard's job
 * (docs/architecture.md §2); the operator only says which proxies exist (MeshSource).
 *
 * Every scrape is bounded: one GET of the fixed path `/stats/prometheus` on the proxy's pod IP,
 * `timeoutMs`, at most `maxBytes`, only the metric families the graph reads are kept; at most
 * `concurrency` scrapes at once. A failed scrape marks that proxy `failed` and keeps its window.
 */
import http from 'node:http';
import { isGraphMetric } from './core/graph';
import { parsePrometheusText } from './core/prom-text';
import { type ProxyTarget } from './core/targets';
import { type ScrapeState } from './core/view';
import { trimWindow, windowIncreases, type Scrape, type TargetWindow } from './core/window';

export interface ScraperOptions {
  intervalMs?: number;
  windowMs?: number;
  timeoutMs?: number;
  maxBytes?: number;
  idleMs?: number;
  concurrency?: number;
  now?: () => number;
  /** GET `url` and resolve its body (status 200 only); injectable for tests. */
  fetchText?: (url: string, timeoutMs: number, maxBytes: number) => Promise<string>;
}

export const ScrapeDefaults = { intervalMs: 2000, windowMs: 10_000, timeoutMs: 1500, maxBytes: 8 << 20, idleMs: 60_000, concurrency: 16 } as const;

interface TargetState {
  scrapes: Scrape[];
  state: ScrapeState;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 2, keepAliveMsecs: 10_000 });

/** One bounded GET; rejects on any status but 200, on timeout and on a body over `maxBytes`. */
export function fetchMetricsText(url: string, timeoutMs: number, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs, headers: { accept: 'text/plain' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= maxBytes) return void chunks.push(c);
        reject(new Error(`answer over ${maxBytes} bytes`));
        res.destroy();
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export class MetricsScraper {
  readonly intervalMs: number;
  readonly windowMs: number;
  private readonly o: Required<Omit<ScraperOptions, 'fetchText' | 'now'>>;
  private readonly now: () => number;
  private readonly fetchText: NonNullable<ScraperOptions['fetchText']>;
  private readonly states = new Map<string, TargetState>();
  private readonly listeners = new Set<() => void>();
  private lastWatch = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly targets: () => readonly ProxyTarget[], options: ScraperOptions = {}) {
    this.o = { ...ScrapeDefaults, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<Omit<ScraperOptions, 'fetchText' | 'now'>>;
    this.intervalMs = this.o.intervalMs;
    this.windowMs = this.o.windowMs;
    this.now = options.now ?? Date.now;
    this.fetchText = options.fetchText ?? fetchMetricsText;
  }

  /** A viewer is looking: scrape now if idle, and keep scraping for `idleMs`. */
  watch(): void {
    if (this.closed) return;
    this.lastWatch = this.now();
    if (!this.timer && !this.running) this.round();
  }

  /** Called after every round (the SSE stream pushes a new view). */
  onRound(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The proxy's window and last scrape state (`waiting` when never scraped). */
  stateOf(id: string): { window: TargetWindow; scrape: ScrapeState } {
    const s = this.states.get(id);
    if (!s) return { window: { seconds: 0, increases: [] }, scrape: { state: 'waiting' } };
    return { window: windowIncreases(trimWindow(s.scrapes, this.now(), this.windowMs)), scrape: s.state };
  }

  /** Runs one round now (tests, and the first viewer); resolves when every proxy answered or failed. */
  scrapeOnce(): Promise<void> {
    const targets = this.targets().filter((t) => t.metricsUrl !== undefined);
    const known = new Set(targets.map((t) => t.id));
    for (const id of this.states.keys()) if (!known.has(id)) this.states.delete(id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length) {
        const t = targets[next++]!;
        await this.scrapeTarget(t);
      }
    };
    return Promise.all(Array.from({ length: Math.min(this.o.concurrency, targets.length) }, worker)).then(() => undefined);
  }

  private async scrapeTarget(t: ProxyTarget): Promise<void> {
    let s = this.states.get(t.id);
    if (!s) this.states.set(t.id, (s = { scrapes: [], state: { state: 'waiting' } }));
    try {
      const text = await this.fetchText(t.metricsUrl!, this.o.timeoutMs, this.o.maxBytes);
      const parsed = parsePrometheusText(text, isGraphMetric);
      const at = this.now();
      s.scrapes = [...trimWindow(s.scrapes, at, this.windowMs), { at, samples: parsed.samples }];
      s.state = parsed.malformed ? { state: 'ok', malformed: parsed.malformed } : { state: 'ok' };
    } catch (err) {
      s.state = { state: 'failed', error: (err as Error).message };
    }
  }

  private round(): void {
    this.running = this.scrapeOnce().finally(() => {
      this.running = undefined;
      if (!this.closed && this.now() - this.lastWatch <= this.o.idleMs) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.round();
        }, this.o.intervalMs);
        this.timer.unref?.();
      }
      for (const l of this.listeners) l();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.listeners.clear();
  }
}
