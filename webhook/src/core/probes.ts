/**
 * App HTTP probes go through the proxy's agent port, so that kubelet (which has no mesh identity)
 * still reaches the app when inbound mTLS is STRICT. Each httpGet liveness/readiness/startup probe
 * becomes `GET http://<pod>:15020/app-health/<container>/<livez|readyz|startupz>`; the original
 * request is kept in the pod annotation `sidecar.skein.dev/originalProbes` for the proxy.
 * TCP, exec and gRPC probes are left as they are. Contract: docs/injection.md.
 */
import { ProxyPorts } from '../../../api/src/names';
import { type Container, type HttpGetAction, InjectionError, type Probe } from './types';

/** What the proxy's agent port needs to replay one original probe. */
export interface OriginalProbe {
  httpGet: {
    path: string;
    /** Numeric: named ports are resolved against the container's ports here. */
    port: number;
    scheme: 'HTTP' | 'HTTPS';
    /** Absent: the proxy calls 127.0.0.1. */
    host?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  timeoutSeconds: number;
}

/** Annotation value: app-health path → original probe. */
export type OriginalProbes = Record<string, OriginalProbe>;

const probeKinds = [
  ['livenessProbe', 'livez'],
  ['readinessProbe', 'readyz'],
  ['startupProbe', 'startupz'],
] as const;

export function appHealthPath(container: string, kind: 'livez' | 'readyz' | 'startupz'): string {
  return `/app-health/${container}/${kind}`;
}

function resolvePort(container: Container, port: number | string, where: string): number {
  if (typeof port === 'number' || /^\d+$/.test(port)) {
    const n = Number(port);
    if (Number.isInteger(n) && n >= 1 && n <= 65535) return n;
    throw new InjectionError(`${where}: port ${JSON.stringify(port)} is not a port (1-65535)`);
  }
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new InjectionError(`${where}: named port "${port}" is not declared in the container's ports`);
  return named.containerPort;
}

function original(container: Container, action: HttpGetAction, probe: Probe, where: string): OriginalProbe {
  const scheme = (action.scheme ?? 'HTTP').toUpperCase();
  if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new InjectionError(`${where}: scheme "${action.scheme}" is not HTTP or HTTPS`);
  const out: OriginalProbe = {
    httpGet: { path: action.path ?? '/', port: resolvePort(container, action.port, where), scheme },
    timeoutSeconds: probe.timeoutSeconds ?? 1,
  };
  if (action.host) out.httpGet.host = action.host;
  if (action.httpHeaders && action.httpHeaders.length > 0) out.httpGet.httpHeaders = action.httpHeaders;
  return out;
}

/**
 * Rewrites the httpGet probes of the app containers in place; returns the originals by path
 * (empty when there was nothing to rewrite).
 */
export function rewriteAppProbes(containers: Container[]): OriginalProbes {
  const originals: OriginalProbes = {};
  for (const container of containers) {
    for (const [field, kind] of probeKinds) {
      const probe = container[field];
      if (!probe?.httpGet) continue;
      const path = appHealthPath(container.name, kind);
      originals[path] = original(container, probe.httpGet, probe, `container ${container.name} ${field}`);
      container[field] = { ...probe, httpGet: { path, port: ProxyPorts.agent, scheme: 'HTTP' } };
    }
  }
  return originals;
}
