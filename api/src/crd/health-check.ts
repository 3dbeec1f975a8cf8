/**
 * Active HTTP health checks, a Skein extension (Istio has no field for them): the Service
 * annotation `traffic.skein.dev/healthCheck` turns them on for every client of that service.
 * Value: comma-separated `key=value`; `path` is required, the rest default as shown:
 *   `path=/healthz,interval=10s,timeout=1s,unhealthyThreshold=3,healthyThreshold=2`
 * Each client proxy sends `GET <path>` to every endpoint every `interval`; a 2xx within `timeout`
 * passes. `unhealthyThreshold` failures in a row take the endpoint out of load balancing,
 * `healthyThreshold` passes in a row bring it back.
 */
import { parseDuration } from '../duration';

function parseDurationMs(text: string): number | undefined {
  try {
    const ms = parseDuration(text);
    return Number.isInteger(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

export const HealthCheckAnnotation = 'traffic.skein.dev/healthCheck';

export interface ServiceHealthCheck {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
}

const keys = ['path', 'interval', 'timeout', 'unhealthyThreshold', 'healthyThreshold'] as const;

/** Parses the annotation value; throws with a message naming the annotation and the bad part. */
export function parseHealthCheck(value: string): ServiceHealthCheck {
  const bad = (why: string): never => {
    throw new Error(`invalid ${HealthCheckAnnotation} "${value}": ${why} (e.g. "path=/healthz,interval=5s")`);
  };
  const fields = new Map<string, string>();
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) bad(`"${part}" is not key=value`);
    const key = part.slice(0, eq).trim();
    if (!(keys as readonly string[]).includes(key)) bad(`unknown key "${key}" (known: ${keys.join(', ')})`);
    if (fields.has(key)) bad(`"${key}" is given twice`);
    fields.set(key, part.slice(eq + 1).trim());
  }
  const path = fields.get('path');
  if (!path) bad('path is required');
  if (!path!.startsWith('/') || /\s/.test(path!)) bad('path must start with "/" and have no spaces');
  const duration = (key: string, dflt: number): number => {
    const v = fields.get(key);
    if (v === undefined) return dflt;
    const ms = parseDurationMs(v);
    if (ms === undefined || ms < 1) bad(`${key} "${v}" is not a duration like 500ms, 5s or 1m`);
    return ms!;
  };
  const count = (key: string, dflt: number): number => {
    const v = fields.get(key);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 1000) bad(`${key} "${v}" must be an integer 1..1000`);
    return n;
  };
  const out = {
    path: path!,
    intervalMs: duration('interval', 10_000),
    timeoutMs: duration('timeout', 1_000),
    unhealthyThreshold: count('unhealthyThreshold', 3),
    healthyThreshold: count('healthyThreshold', 2),
  };
  if (out.timeoutMs > out.intervalMs) bad('timeout must not exceed interval');
  return out;
}
