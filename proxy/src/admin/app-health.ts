/**
 * The agent port (:15020): answers kubelet's rewritten probes `/app-health/<container>/<kind>` by
 * probing the app on the pod's loopback from the proxy's UID (never captured), so app probes keep
 * working when STRICT mTLS refuses plaintext on the app's port. Contract: docs/injection.md §5.
 */
import http from 'node:http';
import https from 'node:https';
import { type AppProbe } from '../core/app-probes';
import { type Handler } from './admin';

/** Sends the original probe; resolves to the app's status code, or 503 when it cannot be reached in time. */
export function probeApp(probe: AppProbe): Promise<number> {
  return new Promise((resolve) => {
    const client = probe.scheme === 'HTTPS' ? https : http;
    const req = client.request({
      host: probe.host,
      port: probe.port,
      path: probe.path,
      method: 'GET',
      headers: Object.fromEntries([['user-agent', 'skein-probe'], ...probe.headers]),
      timeout: probe.timeoutMs,
      agent: false,
      // As kubelet does for HTTPS probes: no certificate verification.
      ...(probe.scheme === 'HTTPS' ? { rejectUnauthorized: false, minVersion: 'TLSv1.2' as const } : {}),
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 503);
    });
    req.on('timeout', () => req.destroy(new Error('probe timed out')));
    req.on('error', () => resolve(503));
    req.end();
  });
}

/** One route per rewritten probe; unknown paths get the server's 404. */
export function appHealthRoutes(probes: ReadonlyMap<string, AppProbe>, probe: (p: AppProbe) => Promise<number> = probeApp): Record<string, Handler> {
  const routes: Record<string, Handler> = {};
  for (const [path, target] of probes) {
    routes[`GET ${path}`] = async (_req, res) => {
      const status = await probe(target);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${status}\n`);
    };
  }
  return routes;
}
