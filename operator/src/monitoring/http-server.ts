/**
 * Monitoring (:15014): /metrics, /healthz, /readyz, /debug/syncz, /debug/configz, and the web
 * dashboard at `/` (dashboard/: its own paths, its own access rule). Read-only.
 */
import http from 'node:http';
import { Dashboard, type DashboardOptions } from '../../../dashboard/src/server';
import { formatConfigError } from '../core/config-error';
import { type ControlPlane } from '../controlplane';
import { dashboardSource } from './dashboard-source';

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
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

export function monitoringHandler(cp: ControlPlane, readiness: ReadinessCheck = configLoaded(cp), dashboard?: Dashboard): http.RequestListener {
  return (req, res) => {
    if (dashboard?.handle(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET\n');
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
      case '/debug/syncz': {
        const view = cp.sync.view();
        const out = Object.fromEntries(Object.entries(view).map(([id, s]) => [id, {
          ...s,
          snapshotErrors: cp.snapshotErrors.get(id) ?? [],
          translationWarnings: cp.translationWarnings.get(id) ?? [],
        }]));
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
        return send(res, 404, 'not found: try / (dashboard) /metrics /healthz /readyz /debug/syncz /debug/configz\n');
    }
  };
}

export interface MonitoringOptions {
  /** Who may open the dashboard: `loopback` (default; Kubernetes: reached by port-forward) or `any` (local mode). */
  dashboard?: DashboardOptions['access'];
}

export function startMonitoring(cp: ControlPlane, host: string, port: number, readiness?: ReadinessCheck, options: MonitoringOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const dashboard = new Dashboard(dashboardSource(cp), { access: options.dashboard ?? 'loopback' });
  const server = http.createServer(monitoringHandler(cp, readiness, dashboard));
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
