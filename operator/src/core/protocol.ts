/**
 * Port protocol selection, as Istio does it: `appProtocol` first, then the port name's prefix
 * (`http`, `http-web`, `grpc-api`, …). Anything not recognised is opaque TCP (Skein does no protocol
 * sniffing).
 */
import { type ServicePort } from './kube';

export type Protocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'GRPC_WEB' | 'TCP' | 'TLS' | 'HTTPS' | 'MONGO' | 'MYSQL' | 'REDIS' | 'UDP';

const byName: Record<string, Protocol> = {
  http: 'HTTP',
  http2: 'HTTP2',
  h2c: 'HTTP2',
  grpc: 'GRPC',
  'grpc-web': 'GRPC_WEB',
  tcp: 'TCP',
  tls: 'TLS',
  https: 'HTTPS',
  mongo: 'MONGO',
  mysql: 'MYSQL',
  redis: 'REDIS',
  udp: 'UDP',
  'kubernetes.io/h2c': 'HTTP2',
};

function fromWord(word: string | undefined): Protocol | undefined {
  if (!word) return undefined;
  const lower = word.toLowerCase();
  return byName[lower] ?? (lower.startsWith('grpc-web') ? 'GRPC_WEB' : byName[lower.split('-')[0]!]);
}

export function portProtocol(port: Pick<ServicePort, 'name' | 'appProtocol' | 'protocol'>): Protocol {
  if (port.protocol?.toUpperCase() === 'UDP') return 'UDP';
  return fromWord(port.appProtocol) ?? fromWord(port.name) ?? 'TCP';
}

/** Protocols the proxy handles with the HTTP connection manager (L7 routing, retries, RBAC on paths). */
export function isHttpProtocol(protocol: Protocol): boolean {
  return protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC_WEB';
}

/** Protocols that need HTTP/2 to the upstream. */
export function needsHttp2(protocol: Protocol): boolean {
  return protocol === 'HTTP2' || protocol === 'GRPC';
}
