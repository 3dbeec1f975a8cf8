/**
 * The demo's three small services, run in the demo process on 127.0.0.1 (each behind its own
 * sidecar process): an app answers JSON with its name and version, records the caller's identity
 * from XFCC, and, if it has a dependency, calls it through its sidecar's explicit outbound port.
 */
import http from 'node:http';
import type { DemoWorkload } from './topology';
import { callerFromSpiffeId, failureReason, peerFromXfcc, type TrafficCounters } from './traffic';

export const CallTimeoutMs = 5000;

export interface CallResult {
  status: number;
  body: string;
  /** The caller's sidecar's `x-skein-response-flags` (why it answered instead of the callee), if any. */
  flags?: string;
}

/** The callee's version from its JSON answer (what the demo apps send, errors included), `-` when no app answered. */
export function versionOf(body: string): string {
  try {
    const v = (JSON.parse(body) as { version?: unknown }).version;
    return typeof v === 'string' ? v : '-';
  } catch {
    return '-';
  }
}

/** Records a failed call: from a response (`status`, flags, the callee's version in its body) or an error. */
export function recordFailure(counters: TrafficCounters, from: string, to: string, outcome: CallResult | Error): void {
  if (outcome instanceof Error) counters.failure({ from, to, version: '-', reason: failureReason({ error: outcome.message }) });
  else counters.failure({ from, to, version: versionOf(outcome.body), reason: failureReason(outcome) });
}

/** One HTTP GET with a bounded time; errors reject. */
export function get(host: string, port: number, hostHeader: string, path = '/'): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, headers: { host: hostHeader }, timeout: CallTimeoutMs, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const flags = res.headers['x-skein-response-flags'];
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(typeof flags === 'string' ? { flags } : {}) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${CallTimeoutMs} ms`)));
    req.on('error', reject);
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function closeClientConnections(): void {
  keepAlive.destroy();
}

export async function startApp(w: DemoWorkload, counters: TrafficCounters): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const peerId = peerFromXfcc(req.headers['x-forwarded-client-cert'] as string | undefined);
    counters.served({ from: callerFromSpiffeId(peerId), to: w.app, version: w.version, peer: peerId ?? '-' });
    const reply = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const own = { service: w.app, version: w.version, pod: w.pod, caller: peerId ?? null };
    if (!w.outbound) return reply(200, own);
    const { port, service } = w.outbound;
    get('127.0.0.1', port, service).then(
      (r) => {
        if (r.status !== 200) recordFailure(counters, w.app, service, r);
        reply(r.status === 200 ? 200 : 502, { ...own, [service]: safeJson(r.body) });
      },
      (err: Error) => {
        recordFailure(counters, w.app, service, err);
        reply(502, { ...own, error: `${service}: ${err.message}` });
      },
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(w.appPort, '127.0.0.1', () => resolve());
  });
  return server;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
}
