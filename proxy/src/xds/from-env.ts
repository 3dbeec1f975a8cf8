/**
 * Glue for `skein proxy` in xDS mode: the Node settings from the proxy's environment
 * (proxy/src/env.ts) plus what the environment does not carry (labels from the downward API,
 * local-mode outbound ports, locality).
 */
import type { ProxyEnvironment } from '../env';
import { parseOutboundPorts, type NodeSettings } from './core/node';

export interface NodeExtras {
  labels?: Record<string, string>;
  /** Local mode: `15101=reviews:9080,…` (also what the operator reads as SKEIN_OUTBOUND_PORTS). */
  outboundPorts?: string;
  locality?: NodeSettings['locality'];
}

export function nodeSettingsFromEnv(env: ProxyEnvironment, extras: NodeExtras = {}): NodeSettings {
  return {
    podName: env.podName,
    namespace: env.podNamespace,
    podIp: env.instanceIp,
    clusterDomain: env.clusterDomain,
    serviceAccount: env.serviceAccount,
    ...(extras.labels ? { labels: extras.labels } : {}),
    ...(extras.outboundPorts ? { outboundPorts: parseOutboundPorts(extras.outboundPorts) } : {}),
    ...(extras.locality ? { locality: extras.locality } : {}),
  };
}
