/**
 * Reading a control plane's monitoring endpoints (`/debug/syncz`, `/version` on :15014) over HTTP:
 * directly in local mode (`--monitoring-url`), or through a forwarded port on a cluster
 * (operator/src/kube/control-plane.ts). No Kubernetes client here, so local mode stays light.
 */
import http from 'node:http';
import { mergeStatuses, parseSyncz, type ProxyStatus } from './core/proxy-status';

export interface HttpResult {
  status: number;
  body: string;
}

/** GET `url`; rejects with a message naming what failed (refused, timed out). */
export function httpGet(url: string, timeoutMs = 10_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ECONNREFUSED' ? new Error('connection refused') : err));
  });
}

export type Get = (path: string) => Promise<HttpResult>;

export async function fetchSyncz(get: Get, controlPlane: string): Promise<ProxyStatus[]> {
  const r = await get('/debug/syncz');
  if (r.status !== 200) throw new Error(`/debug/syncz answered ${r.status}: ${r.body.trim().slice(0, 200)}`);
  return parseSyncz(r.body, controlPlane);
}

export async function fetchVersion(get: Get): Promise<string> {
  const r = await get('/version');
  if (r.status !== 200) throw new Error(`/version answered ${r.status}`);
  let v: unknown;
  try {
    v = (JSON.parse(r.body) as { version?: unknown }).version;
  } catch {
    v = undefined;
  }
  if (typeof v !== 'string') throw new Error('/version has no version');
  return v;
}

/** `http://127.0.0.1:15014` → a getter that says which control plane could not be reached. */
export function monitoringGet(monitoringUrl: string): Get {
  const base = monitoringUrl.replace(/\/$/, '');
  return async (path) => {
    try {
      return await httpGet(`${base}${path}`);
    } catch (err) {
      throw new Error(`cannot reach the control plane at ${base}: ${(err as Error).message}`);
    }
  };
}

export async function localProxyStatuses(monitoringUrl: string): Promise<ProxyStatus[]> {
  return mergeStatuses([await fetchSyncz(monitoringGet(monitoringUrl), monitoringUrl.replace(/\/$/, ''))]);
}
