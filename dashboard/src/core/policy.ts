/**
 * The traffic policy in force, as a person reads it (pure): per VirtualService host, each HTTP and
 * TCP rule with its match, its weighted destinations (with the subset's labels from the
 * DestinationRule, e.g. `v1 (version=v1) 80 %`) and what else it does (timeout, retries, fault,
 * mirror, redirect, rewrite); per DestinationRule host, the policies and subsets; the mTLS mode of
 * every PeerAuthentication. Reads the objects the control plane holds (already validated).
 */
import {
  type DestinationRuleSpec, type HttpMatchRequest, type HttpRoute, type PeerAuthenticationSpec, type TcpRoute, type VirtualServiceSpec,
} from '../../../api/src/crd';
import { resolveHost } from '../../../api/src/crd/hosts';

export interface PolicyObject<Spec> {
  name: string;
  namespace: string;
  spec: Spec;
}

export interface PolicyInput {
  clusterDomain: string;
  /** Where selector-less PeerAuthentications apply mesh-wide. */
  rootNamespace: string;
  virtualServices: readonly PolicyObject<VirtualServiceSpec>[];
  destinationRules: readonly PolicyObject<DestinationRuleSpec>[];
  peerAuthentications: readonly PolicyObject<PeerAuthenticationSpec>[];
}

export interface DestinationView {
  host: string;
  subset?: string;
  /** The subset's labels, `version=v1`. */
  labels?: string;
  port?: number;
  /** Percent of the rule's requests. */
  weight: number;
}

export interface RuleView {
  protocol: 'http' | 'tcp';
  /** Human-readable matches (any of them selects the rule); empty: every request. */
  match: string[];
  destinations: DestinationView[];
  /** Timeout, retries, fault, mirror, redirect, rewrite. */
  notes: string[];
}

export interface HostPolicyView {
  /** Fully qualified host. */
  host: string;
  /** `VirtualService default/reviews`, `DestinationRule default/reviews`. */
  sources: string[];
  rules: RuleView[];
  /** From the DestinationRule: subsets and traffic policy. */
  destinationPolicy: string[];
}

export interface MtlsView {
  /** `mesh`, `namespace default`, `default app=reviews`. */
  scope: string;
  mode: string;
  /** Per-port overrides, `8080: DISABLE`. */
  ports: string[];
  source: string;
}

export interface PolicyView {
  hosts: HostPolicyView[];
  mtls: MtlsView[];
}

function labelsText(labels: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
}

function stringMatch(what: string, m: { exact?: string; prefix?: string; regex?: string } | undefined): string | undefined {
  if (!m) return undefined;
  if (m.exact !== undefined) return `${what} = ${m.exact}`;
  if (m.prefix !== undefined) return `${what} starts with ${m.prefix}`;
  if (m.regex !== undefined) return `${what} ~ ${m.regex}`;
  return `${what} present`;
}

function matchText(m: HttpMatchRequest): string {
  const parts = [
    stringMatch('uri', m.uri),
    stringMatch('method', m.method),
    stringMatch('authority', m.authority),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => stringMatch(`header ${k}`, v)),
    ...Object.entries(m.withoutHeaders ?? {}).map(([k, v]) => `not ${stringMatch(`header ${k}`, v)}`),
    ...Object.entries(m.queryParams ?? {}).map(([k, v]) => stringMatch(`query ${k}`, v)),
    m.port !== undefined ? `port ${m.port}` : undefined,
    m.sourceLabels ? `from ${labelsText(m.sourceLabels)}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length ? parts.join(' and ') : 'every request';
}

function percent(p: { value: number } | undefined): string {
  return `${p?.value ?? 100} %`;
}

function httpNotes(r: HttpRoute): string[] {
  const notes: string[] = [];
  if (r.timeout) notes.push(`timeout ${r.timeout}`);
  if (r.retries && (r.retries.attempts ?? 0) > 0) notes.push(`retries ${r.retries.attempts}${r.retries.retryOn ? ` on ${r.retries.retryOn}` : ''}${r.retries.perTryTimeout ? `, ${r.retries.perTryTimeout} each` : ''}`);
  if (r.fault?.delay) notes.push(`fault: delay ${r.fault.delay.fixedDelay} for ${percent(r.fault.delay.percentage)}`);
  if (r.fault?.abort) notes.push(`fault: abort ${r.fault.abort.httpStatus ?? `gRPC ${r.fault.abort.grpcStatus}`} for ${percent(r.fault.abort.percentage)}`);
  if (r.mirror) notes.push(`mirror ${percent(r.mirrorPercentage)} to ${r.mirror.host}${r.mirror.subset ? ` ${r.mirror.subset}` : ''}`);
  if (r.redirect) notes.push(`redirect ${r.redirect.redirectCode ?? 301} to ${r.redirect.authority ?? ''}${r.redirect.uri ?? ''}`);
  if (r.rewrite) notes.push(`rewrite ${[r.rewrite.uri && `uri ${r.rewrite.uri}`, r.rewrite.authority && `authority ${r.rewrite.authority}`].filter(Boolean).join(', ')}`);
  return notes;
}

type RouteDestinations = NonNullable<HttpRoute['route']> | NonNullable<TcpRoute['route']>;

export function policyView(input: PolicyInput): PolicyView {
  const fqdn = (host: string, ns: string): string => resolveHost(host, ns, input.clusterDomain);
  const subsetLabels = new Map<string, string>();
  const hosts = new Map<string, HostPolicyView>();
  const hostView = (host: string): HostPolicyView => {
    let h = hosts.get(host);
    if (!h) hosts.set(host, (h = { host, sources: [], rules: [], destinationPolicy: [] }));
    return h;
  };
  for (const dr of input.destinationRules) {
    const host = fqdn(dr.spec.host, dr.namespace);
    const h = hostView(host);
    h.sources.push(`DestinationRule ${dr.namespace}/${dr.name}`);
    const p = dr.spec.trafficPolicy;
    if (p?.loadBalancer?.simple) h.destinationPolicy.push(`load balancer ${p.loadBalancer.simple}`);
    if (p?.loadBalancer?.consistentHash) h.destinationPolicy.push('load balancer consistent hash');
    if (p?.connectionPool) h.destinationPolicy.push('connection pool limits');
    if (p?.outlierDetection) h.destinationPolicy.push('outlier detection');
    if (p?.tls?.mode) h.destinationPolicy.push(`TLS ${p.tls.mode}`);
    for (const s of dr.spec.subsets ?? []) {
      const labels = labelsText(s.labels);
      subsetLabels.set(`${host}|${s.name}`, labels);
      h.destinationPolicy.push(`subset ${s.name}${labels ? ` (${labels})` : ''}${s.trafficPolicy ? ' with its own policy' : ''}`);
    }
  }
  const destinations = (route: RouteDestinations, ns: string): DestinationView[] => route.map((d) => {
    const host = fqdn(d.destination.host, ns);
    const labels = d.destination.subset ? subsetLabels.get(`${host}|${d.destination.subset}`) : undefined;
    return {
      host,
      ...(d.destination.subset ? { subset: d.destination.subset } : {}),
      ...(labels ? { labels } : {}),
      ...(d.destination.port ? { port: d.destination.port.number } : {}),
      weight: d.weight ?? (route.length === 1 ? 100 : 0),
    };
  });
  for (const vs of input.virtualServices) {
    const source = `VirtualService ${vs.namespace}/${vs.name}`;
    for (const h of vs.spec.hosts.map((x) => hostView(fqdn(x, vs.namespace)))) {
      h.sources.push(source);
      for (const r of vs.spec.http ?? []) {
        h.rules.push({ protocol: 'http', match: (r.match ?? []).map(matchText), destinations: destinations(r.route ?? [], vs.namespace), notes: httpNotes(r) });
      }
      for (const r of vs.spec.tcp ?? []) {
        const match = (r.match ?? []).map((m) => [m.port !== undefined ? `port ${m.port}` : undefined, m.sourceLabels ? `from ${labelsText(m.sourceLabels)}` : undefined].filter(Boolean).join(' and ') || 'every connection');
        h.rules.push({ protocol: 'tcp', match, destinations: destinations(r.route, vs.namespace), notes: [] });
      }
    }
  }
  const mtls = input.peerAuthentications.map((pa): MtlsView => {
    const selector = labelsText(pa.spec.selector?.matchLabels);
    const scope = selector ? `${pa.namespace} ${selector}` : pa.namespace === input.rootNamespace ? 'mesh' : `namespace ${pa.namespace}`;
    return {
      scope,
      mode: pa.spec.mtls?.mode ?? 'UNSET',
      ports: Object.entries(pa.spec.portLevelMtls ?? {}).map(([port, m]) => `${port}: ${m.mode ?? 'UNSET'}`),
      source: `PeerAuthentication ${pa.namespace}/${pa.name}`,
    };
  });
  return { hosts: [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host)), mtls };
}
