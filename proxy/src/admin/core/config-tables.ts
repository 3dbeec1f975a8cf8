/**
 * `skein proxy-config cluster|listener|route|endpoint|secret`: a proxy's configuration (the config
 * model of its `/config_dump`) as the short tables istioctl prints, one row per cluster, filter
 * chain, route, endpoint or secret. Pure: certificates come in parsed, time is passed in.
 */
import { formatTable } from '../../../../api/src/table';
import type { Cluster, FilterChain, LbEndpoint, ProxyConfig, RouteAction, WeightedCluster } from '../../config/model';

export const ConfigTypes = ['cluster', 'listener', 'route', 'endpoint', 'secret'] as const;
export type ConfigType = (typeof ConfigTypes)[number];

/** Plural and Envoy-ish spellings users type, as istioctl accepts them. */
export function parseConfigType(word: string): ConfigType | undefined {
  const w = word.toLowerCase().replace(/s$/, '');
  const aliases: Record<string, ConfigType> = { cluster: 'cluster', listener: 'listener', route: 'route', endpoint: 'endpoint', secret: 'secret', ep: 'endpoint' };
  return aliases[w];
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → its parts; other names stand alone. */
function clusterParts(name: string): { fqdn: string; port: string; subset: string; direction: string } {
  const p = name.split('|');
  if (p.length === 4 && (p[0] === 'outbound' || p[0] === 'inbound')) return { direction: p[0], port: p[1]!, subset: p[2] || '-', fqdn: p[3] || '-' };
  return { fqdn: name, port: '-', subset: '-', direction: '-' };
}

function clusterType(c: Cluster): string {
  return { eds: 'EDS', static: 'STATIC', 'original-dst': 'ORIGINAL_DST' }[c.type];
}

function weighted(ws: readonly WeightedCluster[]): string {
  const total = ws.reduce((n, w) => n + w.weight, 0) || 1;
  return ws.map((w) => `${w.name} ${Math.round((w.weight * 100) / total)}%`).join(', ');
}

function chainMatch(chain: FilterChain): string {
  const m = chain.match;
  const parts = [
    ...(m.destinationAddresses?.length ? [m.destinationAddresses.join(',')] : []),
    ...(m.destinationPort !== undefined ? [`port ${m.destinationPort}`] : []),
    ...(m.transport ? [m.transport === 'tls' ? 'TLS' : 'plaintext'] : []),
    ...(m.applicationProtocol ? [m.applicationProtocol.toUpperCase()] : []),
  ];
  return parts.length ? parts.join('; ') : 'ALL';
}

function chainDestination(chain: FilterChain): string {
  const f = chain.filter;
  if (f.type === 'http') return f.rds ? `Route: ${f.rds}` : 'Inline Route';
  if (f.passthrough) return 'Passthrough (original destination)';
  if (f.cluster) return `Cluster: ${f.cluster}`;
  return `Clusters: ${weighted(f.weightedClusters ?? [])}`;
}

function routeDestination(action: RouteAction | { kind: 'redirect' | 'direct'; status?: number }): string {
  if (action.kind === 'redirect') return 'redirect';
  if (action.kind === 'direct') return `direct response ${action.status ?? ''}`.trim();
  const a = action as RouteAction;
  return a.cluster ?? weighted(a.weightedClusters ?? []);
}

function shortList(items: readonly string[], max = 3): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} + ${items.length - max} more`;
}

export function clusterTable(config: ProxyConfig): string {
  const rows = config.clusters.map((c) => {
    const p = clusterParts(c.name);
    return [p.fqdn, p.port, p.subset, p.direction, clusterType(c), c.lbPolicy ?? 'round-robin', c.transport?.kind === 'mtls' ? 'mTLS' : '-'];
  });
  return formatTable(['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'LB', 'TLS'], rows);
}

export function listenerTable(config: ProxyConfig): string {
  const rows = config.listeners.flatMap((l) => [
    ...l.filterChains.map((chain) => [l.address, String(l.port), l.name, chainMatch(chain), chainDestination(chain)]),
    ...(l.defaultChain ? [[l.address, String(l.port), l.name, 'no other chain', chainDestination(l.defaultChain)]] : []),
  ]);
  return formatTable(['ADDRESS', 'PORT', 'LISTENER', 'MATCH', 'DESTINATION'], rows);
}

export function routeTable(config: ProxyConfig): string {
  const rows = config.routeConfigs.flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes.map((r) => {
    const path = r.match.path;
    const pathText = !path ? '/*' : 'exact' in path ? path.exact : 'prefix' in path ? `${path.prefix}*` : `~${path.regex}`;
    const headers = r.match.headers?.length ? ` + ${r.match.headers.length} header match${r.match.headers.length === 1 ? '' : 'es'}` : '';
    return [rc.name, vh.name, shortList(vh.domains), `${pathText}${headers}`, routeDestination(r.action)];
  })));
  return formatTable(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'DESTINATION'], rows);
}

export function endpointTable(config: ProxyConfig): string {
  const row = (cluster: string, e: LbEndpoint) => [`${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}`, (e.health ?? 'healthy').toUpperCase(), String(e.weight ?? 1), cluster];
  const rows = [
    ...config.endpoints.flatMap((cla) => cla.endpoints.map((e) => row(cla.clusterName, e))),
    ...config.clusters.filter((c) => c.type === 'static').flatMap((c) => (c.endpoints ?? []).map((e) => row(c.name, e))),
  ];
  return formatTable(['ENDPOINT', 'STATUS', 'WEIGHT', 'CLUSTER'], rows);
}

/** A certificate as the CLI parsed it from the dump's PEM. */
export interface CertificateInfo {
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
}

export interface SecretRow {
  name: string;
  type: string;
  certificates: CertificateInfo[];
}

/** One row per certificate (a chain's leaf and intermediates, each root of the bundle). */
export function secretTable(secrets: readonly SecretRow[], now: Date): string {
  const rows = secrets.flatMap((s) => s.certificates.map((c) => [
    s.name, s.type, 'ACTIVE', String(c.notBefore <= now && now < c.notAfter), c.serialNumber.toLowerCase(), c.notAfter.toISOString(), c.notBefore.toISOString(),
  ]));
  return formatTable(['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'], rows);
}

/** The part of the config model `-o json|yaml` prints for a type. */
export function configSection(config: ProxyConfig, type: Exclude<ConfigType, 'secret'>): unknown {
  switch (type) {
    case 'cluster': return config.clusters;
    case 'listener': return config.listeners;
    case 'route': return config.routeConfigs;
    case 'endpoint': return [...config.endpoints, ...config.clusters.filter((c) => c.type === 'static').map((c) => ({ clusterName: c.name, endpoints: c.endpoints ?? [] }))];
  }
}

export function configTable(config: ProxyConfig, type: Exclude<ConfigType, 'secret'>): string {
  return { cluster: clusterTable, listener: listenerTable, route: routeTable, endpoint: endpointTable }[type](config);
}
