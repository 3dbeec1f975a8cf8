/**
 * The app's original HTTP probes, as the webhook hands them over (docs/injection.md §5): JSON keyed
 * by the rewritten path `/app-health/<container>/<livez|readyz|startupz>`. The proxy's agent port
 * answers those paths by probing the app itself, so kubelet probes keep working under STRICT mTLS.
 * Pure: parsing and checking only.
 */
export interface AppProbe {
  scheme: 'HTTP' | 'HTTPS';
  /** Host to dial; the pod's loopback unless the original probe named one. */
  host: string;
  port: number;
  path: string;
  headers: [name: string, value: string][];
  timeoutMs: number;
}

export class AppProbesError extends Error {
  override name = 'AppProbesError';
}

const probePath = /^\/app-health\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/(livez|readyz|startupz)$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseProbe(key: string, value: unknown): AppProbe {
  const at = (field: string) => `${key}: ${field}`;
  if (!isObject(value) || !isObject(value.httpGet)) throw new AppProbesError(`${key}: expected {"httpGet": {...}, "timeoutSeconds": N}`);
  const get = value.httpGet;
  const port = get.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new AppProbesError(`${at('httpGet.port')}: must be a port number 1-65535`);
  const scheme = get.scheme ?? 'HTTP';
  if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new AppProbesError(`${at('httpGet.scheme')}: must be HTTP or HTTPS`);
  const path = get.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/')) throw new AppProbesError(`${at('httpGet.path')}: must start with /`);
  const host = get.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '' || /[\s/]/.test(host)) throw new AppProbesError(`${at('httpGet.host')}: must be a host name or address`);
  const headers: [string, string][] = [];
  for (const [i, h] of ((get.httpHeaders as unknown[] | undefined) ?? []).entries()) {
    if (!isObject(h) || typeof h.name !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.name) || typeof h.value !== 'string' || /[\r\n]/.test(h.value)) {
      throw new AppProbesError(`${at(`httpGet.httpHeaders[${i}]`)}: expected {"name": token, "value": string without line breaks}`);
    }
    headers.push([h.name, h.value]);
  }
  const timeout = value.timeoutSeconds ?? 1;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new AppProbesError(`${at('timeoutSeconds')}: must be a positive number`);
  return { scheme, host, port, path, headers, timeoutMs: timeout * 1000 };
}

/** Parses the SKEIN_APP_PROBES JSON; an empty or absent value means no rewritten probes. */
export function parseAppProbes(json: string | undefined): Map<string, AppProbe> {
  const probes = new Map<string, AppProbe>();
  if (json === undefined || json.trim() === '') return probes;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new AppProbesError(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(data)) throw new AppProbesError('expected a JSON object keyed by /app-health/<container>/<livez|readyz|startupz>');
  for (const [key, value] of Object.entries(data)) {
    if (!probePath.test(key)) throw new AppProbesError(`${key}: not an /app-health/<container>/<livez|readyz|startupz> path`);
    probes.set(key, parseProbe(key, value));
  }
  return probes;
}
