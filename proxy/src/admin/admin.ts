/**
 * The proxy's own HTTP endpoints:
 * - admin (loopback only, :15000): `/config_dump`, `/clusters`, `/stats`, `/ready`, `/listeners`,
 *   POST `/drain`, POST `/quitquitquit`;
 * - health (:15021): `/healthz/ready` — 200 only once the proxy has config and a certificate;
 * - Prometheus (:15090): `/stats/prometheus` (and `/metrics`).
 * Kept deliberately small: node:http, no framework. Never prints secrets (keys stay out of dumps).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminSource {
  configDump(): unknown;
  clusters(): unknown;
  listeners(): unknown;
  ready(): { ready: boolean; reason?: string };
  metricsText(): Promise<string>;
  metricsContentType: string;
  drain(): Promise<void>;
  quit(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
function text(res: http.ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function adminRoutes(src: AdminSource): Record<string, Handler> {
  return {
    'GET /config_dump': (_q, r) => json(r, 200, src.configDump()),
    'GET /clusters': (_q, r) => json(r, 200, src.clusters()),
    'GET /listeners': (_q, r) => json(r, 200, src.listeners()),
    'GET /ready': (_q, r) => {
      const s = src.ready();
      text(r, s.ready ? 200 : 503, s.ready ? 'LIVE\n' : `NOT READY: ${s.reason}\n`);
    },
    'GET /stats': async (_q, r) => text(r, 200, await src.metricsText(), src.metricsContentType),
    'GET /stats/prometheus': async (_q, r) => text(r, 200, await src.metricsText(), src.metricsContentType),
    'POST /drain': async (_q, r) => {
      await src.drain();
      text(r, 200, 'draining\n');
    },
    'POST /quitquitquit': async (_q, r) => {
      text(r, 200, 'OK\n');
      await src.quit();
    },
  };
}

export function healthRoutes(src: AdminSource): Record<string, Handler> {
  return {
    'GET /healthz/ready': (_q, r) => {
      const s = src.ready();
      text(r, s.ready ? 200 : 503, s.ready ? 'ready\n' : `not ready: ${s.reason}\n`);
    },
  };
}

export function prometheusRoutes(src: AdminSource): Record<string, Handler> {
  const h: Handler = async (_q, r) => text(r, 200, await src.metricsText(), src.metricsContentType);
  return { 'GET /stats/prometheus': h, 'GET /metrics': h };
}

/** A tiny server for a route table; unknown paths → 404, wrong method → 405, handler errors → 500. */
export async function serveRoutes(host: string, port: number, routes: Record<string, Handler>): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = routes[`${req.method} ${path}`];
    if (!handler) {
      const other = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
      text(res, other ? 405 : 404, other ? 'method not allowed\n' : 'not found\n');
      return;
    }
    Promise.resolve(handler(req, res)).catch(() => {
      if (!res.headersSent) text(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
