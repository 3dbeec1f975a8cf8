/**
 * Monitoring (:15014): /metrics, /healthz, /readyz, /version for everyone (probes, Prometheus,
 * `skein version`); /debug/syncz, /debug/configz only as ./debug-access.ts allows (loopback, or a
 * bearer token of the control plane's namespace); the web dashboard at `/` (dashboard/: its own
 * paths, its own access rule). Read-only.
 */
import http from 'node:http';
import pkg from '../../../package.json';
import { Dashboard, type DashboardOptions } from '../../../dashboard/src/server';
import { formatConfigError } from '../core/config-error';
import { syncStatus } from '../core/sync-state';
import { type ControlPlane } from '../controlplane';
import { type DebugAccess, debugAccess } from './debug-access';
import { dashboardSource } from './dashboard-source';

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function json(res: http.ServerResponse, value: unknown): void {
  send(res, 200, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

/**
 * Why the control plane is not ready yet, one reason a line (empty when ready). Local mode: the
 * first configuration load; on Kubernetes also the API server, the CRDs and the CA (start.ts).
 */
export type ReadinessCheck = () => string[];

const configLoaded = (cp: ControlPlane): ReadinessCheck => () => (cp.ready ? [] : ['waiting for the first complete configuration load']);

/** Loopback only: what a monitoring server allows when it is given nothing else. */
const loopbackOnly = debugAccess({ namespaces: [] });

export interface MonitoringHandlers {
  /** Who may read /debug/* (default: loopback only). */
  debug?: DebugAccess;
  /** The web dashboard at `/` (none when absent). */
  dashboard?: Dashboard;
}

export function monitoringHandler(cp: ControlPlane, readiness: ReadinessCheck = configLoaded(cp), handlers: MonitoringHandlers = {}): http.RequestListener {
  const handler = routes(cp, readiness);
  const debug = handlers.debug ?? loopbackOnly;
  return (req, res) => {
    if (handlers.dashboard?.handle(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET\n');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/debug/')) return handler(url, res);
    debug(req).then(
      (verdict) => (verdict.allowed ? handler(url, res) : send(res, verdict.status, `${verdict.message}\n`, undefined, verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {})),
      (err: Error) => send(res, 500, `${err.message}\n`),
    );
  };
}

function routes(cp: ControlPlane, readiness: ReadinessCheck): (url: URL, res: http.ServerResponse) => void {
  return (url, res) => {
    switch (url.pathname) {
      case '/healthz':
        return send(res, 200, 'ok\n');
      case '/readyz':
      {
        const reasons = readiness();
        return reasons.length ? send(res, 503, `not ready:\n${reasons.map((r) => `- ${r}\n`).join('')}`) : send(res, 200, 'ready\n');
      }
      case '/metrics':
        cp.metrics.registry.metrics().then((text) => send(res, 200, text, cp.metrics.registry.contentType), (err: Error) => send(res, 500, `${err.message}\n`));
        return;
      case '/version':
        return json(res, { version: pkg.version });
      case '/debug/syncz': {
        // Per proxy: per type what was sent/ACKed/NACKed and its `state` (SYNCED, NACKED, STALE,
        // NOT SENT); the model generation of its snapshot; the certificate the CA issued it.
        const view = cp.sync.view();
        const out = Object.fromEntries(Object.entries(view).map(([id, s]) => {
          const certificate = cp.certificateOf(s.stream);
          const generation = cp.cache.get(s.stream)?.generation;
          return [id, {
            ...s,
            types: Object.fromEntries(Object.entries(s.types).map(([type, t]) => [type, { ...t, state: syncStatus(t) }])),
            ...(generation !== undefined ? { configGeneration: generation } : {}),
            ...(certificate ? { certificate } : {}),
            snapshotErrors: cp.snapshotErrors.get(s.stream) ?? [],
            translationWarnings: cp.translationWarnings.get(s.stream) ?? [],
          }];
        }));
        return json(res, out);
      }
      case '/debug/configz': {
        const model = cp.index.model();
        return json(res, {
          ready: cp.ready,
          objects: cp.index.keys().sort(),
          services: model.services.map((s) => ({ fqdn: s.fqdn, vips: s.vips, ports: s.ports, endpoints: model.endpoints.get(`${s.namespace}/${s.name}`)?.length ?? 0 })),
          errors: cp.configErrors().map(formatConfigError),
        });
      }
      default:
        return send(res, 404, 'not found: try / (dashboard) /metrics /healthz /readyz /version /debug/syncz /debug/configz\n');
    }
  };
}

export interface MonitoringOptions {
  /** Who may read /debug/* (default: loopback only). */
  debug?: DebugAccess;
  /** Who may open the dashboard: `loopback` (default; Kubernetes: reached by port-forward) or `any` (local mode). */
  dashboard?: DashboardOptions['access'];
}

export function startMonitoring(cp: ControlPlane, host: string, port: number, readiness?: ReadinessCheck, options: MonitoringOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const dashboard = new Dashboard(dashboardSource(cp), { access: options.dashboard ?? 'loopback' });
  const server = http.createServer(monitoringHandler(cp, readiness, { dashboard, ...(options.debug ? { debug: options.debug } : {}) }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: async () => {
          await dashboard.close();
          await new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          });
        },
      });
    });
  });
}
