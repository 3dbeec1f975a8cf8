/**
 * `skein wait-ready`: polls the proxy's readiness endpoint until it answers 200 or time runs out.
 * A classic sidecar's postStart hook runs it so that app containers start after the proxy.
 */
import { request } from 'node:http';

export interface WaitReadyOptions {
  port: number;
  host?: string;
  path?: string;
  timeoutMs: number;
  intervalMs?: number;
}

function probeOnce(options: WaitReadyOptions, perTryMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: options.host ?? '127.0.0.1', port: options.port, path: options.path ?? '/healthz/ready', timeout: perTryMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/** Resolves with the number of attempts once ready; rejects with the last status after the timeout. */
export async function waitReady(options: WaitReadyOptions): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 200;
  let last: number | string = 'no attempt';
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    last = await probeOnce(options, Math.min(1000, remaining));
    if (last === 200) return attempt;
    const pause = Math.min(interval, deadline - Date.now());
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  throw new Error(`proxy not ready on 127.0.0.1:${options.port}${options.path ?? '/healthz/ready'} after ${options.timeoutMs} ms (last: ${last})`);
}
