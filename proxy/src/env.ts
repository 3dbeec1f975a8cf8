/**
 * The proxy's environment variables, declared once (names from api/src/names.ts `ProxyEnv`).
 * The webhook sets them on the injected container; local mode sets them by hand.
 */
import { DefaultTrustDomain, ProxyEnv, ProxyMounts } from '../../api/src/names';
import { validateTrustDomain } from '../../api/src/spiffe';

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
}

export class EnvError extends Error {
  override name = 'EnvError';
}

/** Reads and checks the environment; errors name the variable. */
export function readProxyEnv(env: NodeJS.ProcessEnv = process.env): ProxyEnvironment {
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
  };
}

/** The xDS node id, `sidecar~<podIP>~<pod>.<ns>~<ns>.svc.<clusterDomain>`. */
export function nodeId(e: ProxyEnvironment): string {
  return `sidecar~${e.instanceIp}~${e.podName}.${e.podNamespace}~${e.podNamespace}.svc.${e.clusterDomain}`;
}
