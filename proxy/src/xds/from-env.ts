/**
 * Glue for `skein proxy` in xDS mode: the Node settings from the proxy's environment
 * (proxy/src/env.ts): identity, labels, local-mode explicit ports. The node id itself is built in
 * one place, core/node.ts `nodeId`.
 */
import type { ProxyEnvironment } from '../env';
import { parseInboundPorts, parseOutboundPorts, type NodeSettings } from './core/node';

export interface NodeExtras {
  locality?: NodeSettings['locality'];
  prometheusPort?: number;
}

/** Throws NodeConfigError (naming the setting) for bad ports. */
export function nodeSettingsFromEnv(env: ProxyEnvironment, extras: NodeExtras = {}): NodeSettings {
  return {
    podName: env.podName,
    namespace: env.podNamespace,
    podIp: env.instanceIp,
    clusterDomain: env.clusterDomain,
    serviceAccount: env.serviceAccount,
    ...(Object.keys(env.labels).length ? { labels: env.labels } : {}),
    ...(env.outboundPorts ? { outboundPorts: parseOutboundPorts(env.outboundPorts) } : {}),
    ...(env.inboundPorts ? { inboundPorts: parseInboundPorts(env.inboundPorts) } : {}),
    ...(extras.locality ? { locality: extras.locality } : {}),
    ...(extras.prometheusPort !== undefined ? { prometheusPort: extras.prometheusPort } : {}),
  };
}
