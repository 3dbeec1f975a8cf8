/**
 * The proxy's environment variables, declared once (names from api/src/names.ts `ProxyEnv`).
 * The webhook sets them on the injected container; local mode sets them by hand.
 */
import fs from 'node:fs';
import { DefaultTrustDomain, ProxyEnv, ProxyMounts } from '../../api/src/names';
import { validateTrustDomain } from '../../api/src/spiffe';
import { type AppProbe, parseAppProbes } from './core/app-probes';

export interface ProxyEnvironment {
  podName: string;
  podNamespace: string;
  instanceIp: string;
  serviceAccount: string;
  /** host:port of the control plane's ADS server; undefined in static-config mode. */
  xdsAddress?: string;
  /** host:port of the CA; defaults to the xDS address (one server serves both). */
  caAddress?: string;
  trustDomain: string;
  /** Projected service-account token presented to the CA. */
  tokenPath: string;
  rootCertPath: string;
  /** Local mode join token. A secret: never log it. */
  joinToken?: string;
  clusterDomain: string;
  /** Pod labels (SKEIN_POD_LABELS JSON, else the SKEIN_POD_LABELS_FILE downward API file). */
  labels: Record<string, string>;
  /** Local mode: `15101=reviews:9080,…` (checked when the xDS node is built). */
  outboundPorts?: string;
  /** Local mode: `15106=9080,…`. */
  inboundPorts?: string;
  /** Requested certificate lifetime; undefined = the CA's default. */
  certValiditySeconds?: number;
  /** The ADS variant (SKEIN_XDS_PROTOCOL); undefined = delta, with state of the world as fallback. */
  xdsProtocol?: 'delta' | 'sotw';
  /** The app's original HTTP probes, answered on the agent port (SKEIN_APP_PROBES). */
  appProbes: Map<string, AppProbe>;
  /** Default stream idle timeout (SKEIN_STREAM_IDLE_TIMEOUT_SECONDS); undefined = the proxy's (300 s). */
  streamIdleTimeoutSeconds?: number;
}

export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * A downward API `labels` file: one `key="value"` line per label, the value quoted like a Go string
 * (JSON-compatible for what label values may contain).
 */
export function parseDownwardLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([^=\s]+)=(".*")$/.exec(line);
    let value: unknown;
    try {
      value = m ? JSON.parse(m[2]!) : undefined;
    } catch {
      value = undefined;
    }
    if (!m || typeof value !== 'string') throw new EnvError(`line ${i + 1}: expected key="value", got ${JSON.stringify(line.slice(0, 80))}`);
    labels[m[1]!] = value;
  }
  return labels;
}

function parseLabelsJson(text: string): Record<string, string> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new EnvError(`${ProxyEnv.podLabels}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new EnvError(`${ProxyEnv.podLabels}: expected a JSON object of strings, e.g. {"app":"reviews","version":"v1"}`);
  }
  return v as Record<string, string>;
}

/** Reads and checks the environment; errors name the variable. */
export function readProxyEnv(env: NodeJS.ProcessEnv = process.env, readFile: (file: string) => string = (f) => fs.readFileSync(f, 'utf8')): ProxyEnvironment {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const trustDomain = get(ProxyEnv.trustDomain) ?? DefaultTrustDomain;
  try {
    validateTrustDomain(trustDomain);
  } catch (err) {
    throw new EnvError(`${ProxyEnv.trustDomain}: ${(err as Error).message}`);
  }
  for (const name of [ProxyEnv.xdsAddress, ProxyEnv.caAddress]) {
    const v = get(name);
    if (v !== undefined && !/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(v)) throw new EnvError(`${name}: expected host:port, got "${v}"`);
  }
  const xdsAddress = get(ProxyEnv.xdsAddress);
  let labels: Record<string, string> = {};
  const labelsJson = get(ProxyEnv.podLabels);
  const labelsFile = get(ProxyEnv.podLabelsFile);
  if (labelsJson !== undefined) labels = parseLabelsJson(labelsJson);
  else if (labelsFile !== undefined) {
    let text: string;
    try {
      text = readFile(labelsFile);
    } catch (err) {
      throw new EnvError(`${ProxyEnv.podLabelsFile}: cannot read ${labelsFile}: ${(err as Error).message}`);
    }
    try {
      labels = parseDownwardLabels(text);
    } catch (err) {
      throw new EnvError(`${ProxyEnv.podLabelsFile}: ${labelsFile} ${(err as Error).message}`);
    }
  }
  const ttl = get(ProxyEnv.certValiditySeconds);
  if (ttl !== undefined && !(/^\d+$/.test(ttl) && Number(ttl) >= 1)) throw new EnvError(`${ProxyEnv.certValiditySeconds}: expected a whole number of seconds >= 1, got "${ttl}"`);
  const outboundPorts = get(ProxyEnv.outboundPorts);
  let appProbes: Map<string, AppProbe>;
  try {
    appProbes = parseAppProbes(get(ProxyEnv.appProbes));
  } catch (err) {
    throw new EnvError(`${ProxyEnv.appProbes}: ${(err as Error).message}`);
  }
  const inboundPorts = get(ProxyEnv.inboundPorts);
  const streamIdle = get(ProxyEnv.streamIdleTimeoutSeconds);
  if (streamIdle !== undefined && !/^\d{1,7}$/.test(streamIdle)) throw new EnvError(`${ProxyEnv.streamIdleTimeoutSeconds}: expected a whole number of seconds (0: no timeout), got "${streamIdle}"`);
  const xdsProtocol = get(ProxyEnv.xdsProtocol);
  if (xdsProtocol !== undefined && xdsProtocol !== 'delta' && xdsProtocol !== 'sotw') throw new EnvError(`${ProxyEnv.xdsProtocol}: expected delta or sotw, got "${xdsProtocol}"`);
  return {
    podName: get(ProxyEnv.podName) ?? 'unknown',
    podNamespace: get(ProxyEnv.podNamespace) ?? 'default',
    instanceIp: get(ProxyEnv.instanceIp) ?? '127.0.0.1',
    serviceAccount: get(ProxyEnv.serviceAccount) ?? 'default',
    xdsAddress,
    caAddress: get(ProxyEnv.caAddress) ?? xdsAddress,
    trustDomain,
    tokenPath: get(ProxyEnv.tokenPath) ?? ProxyMounts.tokenFile,
    rootCertPath: get(ProxyEnv.rootCertPath) ?? ProxyMounts.rootCertFile,
    joinToken: get(ProxyEnv.joinToken),
    clusterDomain: get(ProxyEnv.clusterDomain) ?? 'cluster.local',
    labels,
    appProbes,
    ...(outboundPorts !== undefined ? { outboundPorts } : {}),
    ...(inboundPorts !== undefined ? { inboundPorts } : {}),
    ...(ttl !== undefined ? { certValiditySeconds: Number(ttl) } : {}),
    ...(streamIdle !== undefined ? { streamIdleTimeoutSeconds: Number(streamIdle) } : {}),
    ...(xdsProtocol !== undefined ? { xdsProtocol } : {}),
  };
}
