/** Monitoring (:15014): /metrics, /healthz, /readyz, /version, /debug/syncz, /debug/configz. Read-only. */
import http from 'node:http';
import pkg from '../../../package.json';
import { formatConfigError } from '../core/config-error';
import { syncStatus } from '../core/sync-state';
import { type ControlPlane } from '../controlplane';

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

export function monitoringHandler(cp: ControlPlane, readiness: ReadinessCheck = configLoaded(cp)): http.RequestListener {
  return (req, res) => {
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
      case '/version':
        return json(res, { version: pkg.version });
      case '/debug/syncz': {
        // Per proxy: per type what was sent/ACKed/NACKed and its `state` (SYNCED, NACKED, STALE,
        // NOT SENT); the model generation of its snapshot; the certificate the CA issued it.
        const view = cp.sync.view();
        const out = Object.fromEntries(Object.entries(view).map(([id, s]) => {
          const certificate = cp.certificateOf(id);
          const generation = cp.cache.get(id)?.generation;
          return [id, {
            ...s,
            types: Object.fromEntries(Object.entries(s.types).map(([type, t]) => [type, { ...t, state: syncStatus(t) }])),
            ...(generation !== undefined ? { configGeneration: generation } : {}),
            ...(certificate ? { certificate } : {}),
            snapshotErrors: cp.snapshotErrors.get(id) ?? [],
            translationWarnings: cp.translationWarnings.get(id) ?? [],
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
        return send(res, 404, 'not found: try /metrics /healthz /readyz /version /debug/syncz /debug/configz\n');
    }
  };
}

export function startMonitoring(cp: ControlPlane, host: string, port: number, readiness?: ReadinessCheck): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(monitoringHandler(cp, readiness));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}
