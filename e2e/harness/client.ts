/**
 * Runs the client app (e2e/apps/client.ts) inside a namespace as an app UID and returns its report.
 */
import { type LoadReport } from '../apps/load';
import { type Protocol } from '../apps/client';
import { appPath } from './apps';
import { AppUid, type Netns, type RunAs } from './netns';

export interface ClientRequest extends RunAs {
  protocol: Protocol;
  /** URL for http/h2/ws (`http://web.default/`), `host:port` for grpc/grpc-stream/tcp. */
  target: string;
  /** Requests to send (default 1). */
  count?: number;
  /** Stop after this long even if `count` is not reached (default 30 s). */
  durationMs?: number;
  concurrency?: number;
  /** Pause of each worker between its requests (a steady client; default none). */
  intervalMs?: number;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  message?: string;
  method?: string;
}

export interface ClientReport extends LoadReport {
  protocol: Protocol;
  target: string;
}

export function clientArgv(request: ClientRequest): string[] {
  return [process.execPath, appPath('client'), ...clientArgs(request)];
}

/** The client app's arguments for a request (after the program). */
export function clientArgs(request: Omit<ClientRequest, keyof RunAs>): string[] {
  const argv: string[] = [request.protocol, request.target];
  if (request.count !== undefined) argv.push('--count', String(request.count));
  if (request.durationMs !== undefined) argv.push('--duration', `${request.durationMs}ms`);
  if (request.concurrency !== undefined) argv.push('--concurrency', String(request.concurrency));
  if (request.intervalMs !== undefined) argv.push('--interval', `${request.intervalMs}ms`);
  if (request.timeoutMs !== undefined) argv.push('--timeout', `${request.timeoutMs}ms`);
  if (request.message !== undefined) argv.push('--message', request.message);
  if (request.method !== undefined) argv.push('--method', request.method);
  for (const [k, v] of Object.entries(request.headers ?? {})) argv.push('--header', `${k}:${v}`);
  return argv;
}

/** Runs the client from `from` (default UID: AppUid) and parses its JSON report. */
export async function runClient(from: Netns, request: ClientRequest): Promise<ClientReport> {
  const budgetMs = (request.durationMs ?? 30_000) + (request.timeoutMs ?? 5_000) + 10_000;
  const result = await from.exec(clientArgv(request), { uid: request.uid ?? AppUid, gid: request.gid, timeoutMs: budgetMs });
  try {
    return JSON.parse(result.stdout) as ClientReport;
  } catch {
    throw new Error(`client printed no JSON report:\n${result.stdout}\n${result.stderr}`);
  }
}
