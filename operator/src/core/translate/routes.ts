/** RouteConfigurations: one per outbound HTTP port, a virtual host per service, routes from VirtualServices. */
import { type ServiceModel, type ServicePortModel } from '../model';
import { isHttpProtocol } from '../protocol';
import { type Headers, type HttpMatchRequest, type HttpRoute, type StringMatch } from '../policy-types';
import { FilterNames, type Json, TypeUrls, envoyDuration, fractionOfMillion, typed } from './envoy';
import { BlackHoleCluster, outboundClusterName, outboundRouteName } from './names';
import { type MeshScope, effectiveTrafficPolicy, resolveDestination, sourceMatches } from './scope';

/** Istio's default retry conditions (also used when `retries.retryOn` is absent). */
const defaultRetryOn = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** Istio's default retry policy for routes without `retries`: 2 retries, 503 counts as retriable. */
const defaultRetry: Json = { retry_on: defaultRetryOn, num_retries: 2, retriable_status_codes: [503] };

/**
 * VirtualService `retries` → Envoy retry_policy, as Istio does: absent or 0 `attempts` disables
 * retries; HTTP status codes in `retryOn` become `retriable_status_codes` (plus the
 * `retriable-status-codes` condition); an absent `retryOn` keeps Istio's default conditions.
 */
export function retryPolicy(retries: NonNullable<HttpRoute['retries']>): Json {
  if (!retries.attempts) return { num_retries: 0 };
  const tokens = (retries.retryOn ?? defaultRetryOn).split(',').filter(Boolean);
  const codes = tokens.filter((t) => /^\d{3}$/.test(t)).map(Number);
  const conditions = tokens.filter((t) => !/^\d{3}$/.test(t));
  if (codes.length && !conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes');
  if (!retries.retryOn) codes.push(503);
  return {
    retry_on: conditions.join(','),
    num_retries: retries.attempts,
    ...(retries.perTryTimeout ? { per_try_timeout: envoyDuration(retries.perTryTimeout) } : {}),
    ...(codes.length ? { retriable_status_codes: [...new Set(codes)] } : {}),
  };
}

/** Host names a client may use for a service port, as Istio lists them. */
export function serviceDomains(service: ServiceModel, port: number, viewerNamespace: string): string[] {
  const hosts = [service.fqdn, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`];
  if (service.namespace === viewerNamespace) hosts.push(service.name);
  hosts.push(...service.vips);
  return hosts.flatMap((h) => [h, `${h.includes(':') ? `[${h}]` : h}:${port}`]);
}

/** A header/query matcher; `{}` (no exact/prefix/regex) means the header or parameter is present. */
function valueMatcher(name: string, m: StringMatch, invert = false): Json {
  const present = m.exact === undefined && m.prefix === undefined && m.regex === undefined;
  return { name, ...(present ? { present_match: true } : { string_match: stringMatcher(m) }), ...(invert ? { invert_match: true } : {}) };
}

function stringMatcher(m: StringMatch, ignoreCase = false): Json {
  if (m.exact !== undefined) return { exact: m.exact, ...(ignoreCase ? { ignore_case: true } : {}) };
  if (m.prefix !== undefined) return { prefix: m.prefix, ...(ignoreCase ? { ignore_case: true } : {}) };
  return { safe_regex: { regex: m.regex ?? '' } };
}

function routeMatch(m: HttpMatchRequest | undefined): Json {
  const out: Json = {};
  const uri = m?.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.regex !== undefined) out.safe_regex = { regex: uri.regex };
  else out.prefix = uri?.prefix ?? '/';
  if (m?.ignoreUriCase) out.case_sensitive = false;
  const headers: Json[] = [];
  for (const [name, sm] of Object.entries(m?.headers ?? {})) headers.push(valueMatcher(name, sm));
  for (const [name, sm] of Object.entries(m?.withoutHeaders ?? {})) headers.push(valueMatcher(name, sm, true));
  if (m?.method) headers.push({ name: ':method', string_match: stringMatcher(m.method) });
  if (m?.authority) headers.push({ name: ':authority', string_match: stringMatcher(m.authority) });
  if (headers.length) out.headers = headers;
  const query = Object.entries(m?.queryParams ?? {}).map(([name, sm]) => valueMatcher(name, sm));
  if (query.length) out.query_parameters = query;
  return out;
}

function headerOptions(value: Record<string, string> | undefined, append: boolean): Json[] {
  return Object.entries(value ?? {}).map(([key, v]) => ({
    header: { key, value: v },
    append_action: append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD',
  }));
}

function headerManipulation(headers: Headers | undefined): Json {
  const out: Json = {};
  const reqAdd = [...headerOptions(headers?.request?.set, false), ...headerOptions(headers?.request?.add, true)];
  const resAdd = [...headerOptions(headers?.response?.set, false), ...headerOptions(headers?.response?.add, true)];
  if (reqAdd.length) out.request_headers_to_add = reqAdd;
  if (headers?.request?.remove?.length) out.request_headers_to_remove = headers.request.remove;
  if (resAdd.length) out.response_headers_to_add = resAdd;
  if (headers?.response?.remove?.length) out.response_headers_to_remove = headers.response.remove;
  return out;
}

function faultConfig(fault: NonNullable<HttpRoute['fault']>): Json {
  const out: Json = {};
  if (fault.delay?.fixedDelay) {
    out.delay = { fixed_delay: envoyDuration(fault.delay.fixedDelay), percentage: fractionOfMillion(fault.delay.percentage?.value ?? 100) };
  }
  if (fault.abort) {
    const abort: Json = { percentage: fractionOfMillion(fault.abort.percentage?.value ?? 100) };
    if (fault.abort.grpcStatus !== undefined) abort.grpc_status = grpcStatusCode(fault.abort.grpcStatus);
    else abort.http_status = fault.abort.httpStatus ?? 503;
    out.abort = abort;
  }
  return typed(TypeUrls.fault, out);
}

const grpcCodes = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

function grpcStatusCode(status: string): number {
  const n = Number(status);
  if (Number.isInteger(n)) return n;
  const code = grpcCodes.indexOf(status.toUpperCase());
  return code < 0 ? 2 : code;
}

function hashPolicy(scope: MeshScope, service: ServiceModel, port: number, subset: string): Json[] | undefined {
  const hash = effectiveTrafficPolicy(scope.destinationRule(service)?.spec, port, subset).loadBalancer?.consistentHash;
  if (!hash) return undefined;
  if (hash.httpHeaderName) return [{ header: { header_name: hash.httpHeaderName } }];
  if (hash.httpCookie) {
    const cookie: Json = { name: hash.httpCookie.name };
    if (hash.httpCookie.ttl) cookie.ttl = envoyDuration(hash.httpCookie.ttl);
    if (hash.httpCookie.path) cookie.path = hash.httpCookie.path;
    return [{ cookie }];
  }
  if (hash.useSourceIp) return [{ connection_properties: { source_ip: true } }];
  return undefined;
}

interface RouteContext {
  scope: MeshScope;
  vsNamespace: string;
  port: number;
}

function translateHttpRoute(ctx: RouteContext, http: HttpRoute, index: number): Json[] {
  const matches: (HttpMatchRequest | undefined)[] = http.match?.length
    ? http.match.filter((m) => (m.port === undefined || m.port === ctx.port) && sourceMatches(ctx.scope, m.sourceLabels))
    : [undefined];
  if (matches.length === 0) return [];
  const base: Json = { ...headerManipulation(http.headers) };
  if (http.fault) base.typed_per_filter_config = { [FilterNames.fault]: faultConfig(http.fault) };
  if (http.redirect) {
    const redirect: Json = {};
    if (http.redirect.uri) redirect.path_redirect = http.redirect.uri;
    if (http.redirect.authority) redirect.host_redirect = http.redirect.authority;
    if (http.redirect.scheme) redirect.scheme_redirect = http.redirect.scheme;
    if (http.redirect.port !== undefined) redirect.port_redirect = http.redirect.port;
    redirect.response_code = redirectCodes[http.redirect.redirectCode ?? 301] ?? 'MOVED_PERMANENTLY';
    base.redirect = redirect;
  } else {
    base.route = routeAction(ctx, http);
  }
  return matches.map((m, i) => ({
    name: http.name ?? m?.name ?? `route-${index}${matches.length > 1 ? `-${i}` : ''}`,
    match: routeMatch(m),
    ...base,
  }));
}

const redirectCodes: Record<number, string> = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

function clusterFor(ctx: RouteContext, dest: Parameters<typeof resolveDestination>[1]): { name: string; hash?: Json[] } {
  const r = resolveDestination(ctx.scope, dest, ctx.vsNamespace, ctx.port);
  // A route to something that does not exist fails closed (503) and `analyze`/configz report it.
  if (!r.ok) return { name: BlackHoleCluster };
  return { name: outboundClusterName(r.port, r.subset, r.service.fqdn), hash: hashPolicy(ctx.scope, r.service, r.port, r.subset) };
}

function routeAction(ctx: RouteContext, http: HttpRoute): Json {
  const action: Json = {};
  const dests = http.route ?? [];
  if (dests.length === 1) {
    const c = clusterFor(ctx, dests[0]!.destination);
    action.cluster = c.name;
    if (c.hash) action.hash_policy = c.hash;
  } else {
    action.weighted_clusters = {
      clusters: dests.map((d) => ({ name: clusterFor(ctx, d.destination).name, weight: d.weight ?? 0 })),
    };
  }
  action.timeout = http.timeout ? envoyDuration(http.timeout) : '0s';
  action.retry_policy = http.retries ? retryPolicy(http.retries) : defaultRetry;
  if (http.mirror) {
    action.request_mirror_policies = [{
      cluster: clusterFor(ctx, http.mirror).name,
      runtime_fraction: { default_value: fractionOfMillion(http.mirrorPercentage?.value ?? 100) },
    }];
  }
  if (http.rewrite?.uri !== undefined) action.prefix_rewrite = http.rewrite.uri;
  if (http.rewrite?.authority) action.host_rewrite_literal = http.rewrite.authority;
  return action;
}

/** The default route: everything to the service's own cluster on this port. */
function defaultRoute(scope: MeshScope, service: ServiceModel, port: number): Json {
  const action: Json = { cluster: outboundClusterName(port, '', service.fqdn), timeout: '0s', retry_policy: defaultRetry };
  const hash = hashPolicy(scope, service, port, '');
  if (hash) action.hash_policy = hash;
  return { name: 'default', match: { prefix: '/' }, route: action };
}

export function serviceRoutes(scope: MeshScope, service: ServiceModel, port: ServicePortModel): Json[] {
  const vs = scope.virtualService(service);
  if (!vs?.spec.http?.length) return [defaultRoute(scope, service, port.port)];
  const ctx: RouteContext = { scope, vsNamespace: vs.namespace, port: port.port };
  const routes = vs.spec.http.flatMap((h, i) => translateHttpRoute(ctx, h, i));
  return routes.length ? routes : [defaultRoute(scope, service, port.port)];
}

export function virtualHost(scope: MeshScope, service: ServiceModel, port: ServicePortModel, domains: string[]): Json {
  return { name: `${service.fqdn}:${port.port}`, domains, routes: serviceRoutes(scope, service, port) };
}

/** One RouteConfiguration per outbound HTTP port, named by the port. */
export function outboundRouteConfigs(scope: MeshScope): Json[] {
  const byPort = new Map<number, Json[]>();
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (!isHttpProtocol(port.protocol)) continue;
      const hosts = byPort.get(port.port) ?? [];
      hosts.push(virtualHost(scope, service, port, serviceDomains(service, port.port, scope.namespace)));
      byPort.set(port.port, hosts);
    }
  }
  return [...byPort.keys()].sort((a, b) => a - b).map((port) =>
    typed(TypeUrls.route, { name: outboundRouteName(port), virtual_hosts: byPort.get(port)!, validate_clusters: false }));
}
