/**
 * Builders for the configs the integration tests use: a server sidecar (inbound listener in front
 * of a local app, STRICT or PERMISSIVE) and a client sidecar (explicit outbound listener → mTLS
 * cluster(s) pointing at server sidecars). They produce the same shapes a translator would.
 */
import type { Cluster, HttpFilter, ProxyConfig, RbacConfig, Route } from '../config/model';
import type { ProxyOptions } from '../proxy';

export const TrustDomain = 'cluster.local';
export const clientId = `spiffe://${TrustDomain}/ns/shop/sa/frontend`;
export const serverId = `spiffe://${TrustDomain}/ns/shop/sa/reviews`;

/** Options every test proxy uses: free ports for admin/health/prometheus, fast sniffing. */
export const testProxyOptions: ProxyOptions = {
  admin: { port: 0 },
  health: { address: '127.0.0.1', port: 0 },
  prometheus: { address: '127.0.0.1', port: 0 },
  processMetrics: false,
  sniffTimeoutMs: 200,
  drainMs: 500,
};

export interface InboundOptions {
  appPort: number;
  mode?: 'STRICT' | 'PERMISSIVE' | 'DISABLE';
  protocol?: 'http' | 'tcp';
  /** Protocol the app speaks (inbound cluster). Default http1. */
  appProtocol?: 'http1' | 'http2' | 'auto';
  rbac?: RbacConfig;
  workload?: string;
  version?: string;
}

export function inboundConfig(o: InboundOptions): ProxyConfig {
  const mode = o.mode ?? 'STRICT';
  const cluster = `inbound|${o.appPort}||`;
  const filter = (): ProxyConfig['listeners'][number]['filterChains'][number]['filter'] => {
    if (o.protocol === 'tcp') return { type: 'tcp', statPrefix: `inbound_${o.appPort}`, cluster, rbac: o.rbac };
    const httpFilters: HttpFilter[] = o.rbac ? [{ type: 'rbac', rbac: o.rbac }, { type: 'router' }] : [{ type: 'router' }];
    return { type: 'http', statPrefix: `inbound_${o.appPort}`, routeConfig: { name: `inbound|${o.appPort}`, virtualHosts: [{ name: 'inbound', domains: ['*'], routes: [{ match: { path: { prefix: '/' } }, action: { kind: 'route', cluster } }] }] }, httpFilters };
  };
  const chains: ProxyConfig['listeners'][number]['filterChains'] = [];
  if (mode !== 'DISABLE') chains.push({ name: 'mtls', match: { transport: 'tls' }, tls: { certificateSecret: 'default', validationSecret: 'ROOTCA' }, filter: filter() });
  if (mode !== 'STRICT') chains.push({ name: 'plaintext', match: { transport: 'plaintext' }, filter: filter() });
  return {
    version: 'inbound-1',
    node: { id: `sidecar~127.0.0.1~${o.workload ?? 'reviews'}.shop~shop.svc.cluster.local`, workload: o.workload ?? 'reviews', namespace: 'shop' },
    listeners: [{ name: 'virtualInbound', address: '127.0.0.1', port: 0, kind: 'inbound', destinationPort: o.appPort, filterChains: chains }],
    routeConfigs: [],
    clusters: [{ name: cluster, type: 'static', protocol: o.appProtocol ?? 'http1', endpoints: [{ address: '127.0.0.1', port: o.appPort }] }],
    endpoints: [],
  };
}

export interface Upstream {
  /** Subset name (`v1`), part of the cluster name. */
  subset: string;
  /** Ports of the server sidecars' inbound listeners. */
  ports: number[];
  lbPolicy?: Cluster['lbPolicy'];
  protocol?: Cluster['protocol'];
  expectedSans?: string[];
}

export const serviceHost = 'reviews.shop.svc.cluster.local';
export const clusterName = (subset: string): string => `outbound|9080|${subset}|${serviceHost}`;

export interface OutboundOptions {
  upstreams: Upstream[];
  protocol?: 'http' | 'tcp';
  /** Routes of the one virtual host; default: everything to the first upstream. */
  routes?: Route[];
  /** HTTP filters before the router. */
  filters?: HttpFilter[];
  /** TCP: weighted split across upstreams by these weights. */
  tcpWeights?: number[];
}

export function outboundConfig(o: OutboundOptions): ProxyConfig {
  const first = clusterName(o.upstreams[0]!.subset);
  const routes = o.routes ?? [{ match: { path: { prefix: '/' } }, action: { kind: 'route' as const, cluster: first } }];
  const filter: ProxyConfig['listeners'][number]['filterChains'][number]['filter'] = o.protocol === 'tcp'
    ? o.tcpWeights
      ? { type: 'tcp', statPrefix: 'outbound_9080', weightedClusters: o.upstreams.map((u, i) => ({ name: clusterName(u.subset), weight: o.tcpWeights![i]! })) }
      : { type: 'tcp', statPrefix: 'outbound_9080', cluster: first }
    : { type: 'http', statPrefix: 'outbound_9080', rds: '9080', httpFilters: [...(o.filters ?? []), { type: 'router' }] };
  return {
    version: 'outbound-1',
    node: { id: 'sidecar~127.0.0.1~frontend.shop~shop.svc.cluster.local', workload: 'frontend', namespace: 'shop' },
    listeners: [{ name: 'outbound_9080', address: '127.0.0.1', port: 0, kind: 'outbound-explicit', destinationPort: 9080, filterChains: [{ name: 'default', match: {}, filter }] }],
    routeConfigs: o.protocol === 'tcp' ? [] : [{ name: '9080', virtualHosts: [{ name: 'reviews', domains: ['*'], routes }] }],
    clusters: o.upstreams.map((u) => ({
      name: clusterName(u.subset),
      type: 'eds' as const,
      lbPolicy: u.lbPolicy,
      protocol: u.protocol ?? 'auto',
      connectTimeoutMs: 2000,
      transport: { kind: 'mtls' as const, certificateSecret: 'default' as const, validationSecret: 'ROOTCA' as const, expectedSans: u.expectedSans ?? [serverId] },
    })),
    endpoints: o.upstreams.map((u) => ({ clusterName: clusterName(u.subset), endpoints: u.ports.map((port) => ({ address: '127.0.0.1', port })) })),
  };
}
