/** Resource names (Istio's conventions), one place for each. */

export const PassthroughCluster = 'PassthroughCluster';
export const BlackHoleCluster = 'BlackHoleCluster';
export const InboundPassthroughCluster = 'InboundPassthroughClusterIpv4';
export const VirtualOutboundListener = 'virtualOutbound';
export const VirtualInboundListener = 'virtualInbound';

export function outboundClusterName(port: number, subset: string, fqdn: string): string {
  return `outbound|${port}|${subset}|${fqdn}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

/** Parses `outbound|<port>|<subset>|<fqdn>`; undefined for any other name. */
export function parseOutboundClusterName(name: string): { port: number; subset: string; fqdn: string } | undefined {
  const m = /^outbound\|(\d+)\|([^|]*)\|([^|]+)$/.exec(name);
  return m ? { port: Number(m[1]), subset: m[2]!, fqdn: m[3]! } : undefined;
}

/** RouteConfiguration served for outbound HTTP on a port: just the port number, like Istio. */
export function outboundRouteName(port: number): string {
  return String(port);
}

/** Outbound SNI, Istio's shape: `outbound_.<port>_.<subset>_.<fqdn>`. */
export function outboundSni(port: number, subset: string, fqdn: string): string {
  return `outbound_.${port}_.${subset}_.${fqdn}`;
}
