/** RouteConfiguration (and an HCM's inline route_config) → model (pure). */
import { HeaderValueOptionSchema, HeaderValueOption_HeaderAppendAction, type HeaderValueOption } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import {
  DirectResponseActionSchema, HeaderMatcherSchema, QueryParameterMatcherSchema, RedirectActionSchema, RedirectAction_RedirectResponseCode,
  RetryPolicySchema, RetryPolicy_RetryBackOffSchema, RouteActionSchema, RouteAction_HashPolicySchema, RouteAction_HashPolicy_CookieSchema, RouteAction_HashPolicy_HeaderSchema,
  RouteAction_RequestMirrorPolicySchema, RouteMatchSchema, RouteSchema, VirtualHostSchema, WeightedClusterSchema, WeightedCluster_ClusterWeightSchema,
  type DirectResponseAction, type HeaderMatcher, type QueryParameterMatcher, type RedirectAction, type Route, type RouteAction,
  type RouteAction_HashPolicy, type RouteMatch, type VirtualHost, type WeightedCluster,
} from '../../../../api/gen/envoy/config/route/v3/route_components_pb';
import { RouteConfigurationSchema, type RouteConfiguration } from '../../../../api/gen/envoy/config/route/v3/route_pb';
import { HTTPFaultSchema } from '../../../../api/gen/envoy/extensions/filters/http/fault/v3/fault_pb';
import type { StringMatcher } from '../../../../api/gen/envoy/type/matcher/v3/string_pb';
import type * as M from '../../config/model';
import { translateFault } from './http-filters';
import { at, durationMs, escapeRegex, fail, fractionToPercent, idx, onlyFields, optDurationMs, typeNameAt, unpackAt, unsupported } from './fields';

/** Envoy's route timeout when `timeout` is unset. */
export const DefaultRouteTimeoutMs = 15_000;
/** Envoy's retry count when a retry policy leaves `num_retries` unset. */
export const DefaultNumRetries = 1;

function headerOption(h: HeaderValueOption, path: string): M.HeaderValueOption {
  onlyFields(HeaderValueOptionSchema, h, path, ['header', 'append', 'append_action']);
  if (!h.header) fail(at(path, 'header'), 'is required');
  if (h.header.rawValue.length > 0) fail(at(path, 'header.raw_value'), 'raw (binary) header values are not supported; use value');
  let action: M.HeaderValueOption['action'];
  if (h.append !== undefined) {
    if (h.appendAction !== HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD) fail(path, 'set append or append_action, not both');
    action = h.append ? 'append' : 'overwrite';
  } else if (h.appendAction === HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD) action = 'append';
  else if (h.appendAction === HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD) action = 'overwrite';
  else fail(at(path, 'append_action'), `${HeaderValueOption_HeaderAppendAction[h.appendAction] ?? h.appendAction} is not supported (APPEND_IF_EXISTS_OR_ADD or OVERWRITE_IF_EXISTS_OR_ADD)`);
  return { name: h.header.key, value: h.header.value, action };
}

interface Mutations {
  requestHeadersToAdd: HeaderValueOption[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderValueOption[];
  responseHeadersToRemove: string[];
}

/** The four header mutation lists, each only when non-empty. */
export function headerMutations(o: Mutations, path: string): Pick<M.Route, 'requestHeadersToAdd' | 'requestHeadersToRemove' | 'responseHeadersToAdd' | 'responseHeadersToRemove'> {
  const out: Pick<M.Route, 'requestHeadersToAdd' | 'requestHeadersToRemove' | 'responseHeadersToAdd' | 'responseHeadersToRemove'> = {};
  if (o.requestHeadersToAdd.length) out.requestHeadersToAdd = o.requestHeadersToAdd.map((h, i) => headerOption(h, idx(at(path, 'request_headers_to_add'), i)));
  if (o.requestHeadersToRemove.length) out.requestHeadersToRemove = [...o.requestHeadersToRemove];
  if (o.responseHeadersToAdd.length) out.responseHeadersToAdd = o.responseHeadersToAdd.map((h, i) => headerOption(h, idx(at(path, 'response_headers_to_add'), i)));
  if (o.responseHeadersToRemove.length) out.responseHeadersToRemove = [...o.responseHeadersToRemove];
  return out;
}

const mutationFields = ['request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove'];

/** A StringMatcher as the model's exact/prefix/suffix/regex (contains becomes a regex). */
function stringMatch(m: StringMatcher, path: string): Pick<M.HeaderMatcher, 'exact' | 'prefix' | 'suffix' | 'regex'> {
  if (m.ignoreCase) fail(at(path, 'ignore_case'), 'case-insensitive header matching is not supported');
  const p = m.matchPattern;
  switch (p.case) {
    case 'exact':
      return { exact: p.value };
    case 'prefix':
      return { prefix: p.value };
    case 'suffix':
      return { suffix: p.value };
    case 'safeRegex':
      return { regex: p.value.regex };
    case 'contains':
      return { regex: `.*${escapeRegex(p.value)}.*` };
    default:
      return fail(path, `string matcher ${p.case ?? '(none)'} is not supported`);
  }
}

function headerMatcher(h: HeaderMatcher, path: string): M.HeaderMatcher {
  onlyFields(HeaderMatcherSchema, h, path, ['name', 'exact_match', 'safe_regex_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match', 'invert_match']);
  const out: M.HeaderMatcher = { name: h.name };
  if (h.invertMatch) out.invert = true;
  const s = h.headerMatchSpecifier;
  switch (s.case) {
    case undefined:
      return { ...out, present: true }; // Envoy: no specifier = the header is present
    case 'exactMatch':
      return { ...out, exact: s.value };
    case 'prefixMatch':
      return { ...out, prefix: s.value };
    case 'suffixMatch':
      return { ...out, suffix: s.value };
    case 'containsMatch':
      return { ...out, regex: `.*${escapeRegex(s.value)}.*` };
    case 'safeRegexMatch':
      return { ...out, regex: s.value.regex };
    case 'presentMatch':
      return { ...out, present: s.value };
    case 'stringMatch':
      return { ...out, ...stringMatch(s.value, at(path, 'string_match')) };
    default:
      return fail(path, `header match ${s.case} is not supported`);
  }
}

function queryMatcher(q: QueryParameterMatcher, path: string): M.QueryParameterMatcher {
  onlyFields(QueryParameterMatcherSchema, q, path, ['name', 'string_match', 'present_match']);
  const s = q.queryParameterMatchSpecifier;
  if (s.case === undefined) return { name: q.name, present: true };
  if (s.case === 'presentMatch') {
    if (!s.value) fail(at(path, 'present_match'), 'present_match: false is not supported');
    return { name: q.name, present: true };
  }
  const m = stringMatch(s.value, at(path, 'string_match'));
  if (m.exact !== undefined) return { name: q.name, exact: m.exact };
  if (m.prefix !== undefined) return { name: q.name, regex: `${escapeRegex(m.prefix)}.*` };
  if (m.suffix !== undefined) return { name: q.name, regex: `.*${escapeRegex(m.suffix)}` };
  return { name: q.name, regex: m.regex! };
}

function routeMatch(m: RouteMatch | undefined, path: string): M.RouteMatch {
  if (!m) fail(path, 'is required');
  onlyFields(RouteMatchSchema, m, path, ['prefix', 'path', 'safe_regex', 'case_sensitive', 'headers', 'query_parameters']);
  const out: M.RouteMatch = {};
  const p = m.pathSpecifier;
  if (p.case === 'prefix') {
    if (p.value !== '') out.path = { prefix: p.value };
  } else if (p.case === 'path') out.path = { exact: p.value };
  else if (p.case === 'safeRegex') out.path = { regex: p.value.regex };
  else fail(path, 'one of prefix, path or safe_regex is required');
  if (m.caseSensitive !== undefined) out.caseSensitive = m.caseSensitive;
  if (m.headers.length) out.headers = m.headers.map((h, i) => headerMatcher(h, idx(at(path, 'headers'), i)));
  if (m.queryParameters.length) out.queryParameters = m.queryParameters.map((q, i) => queryMatcher(q, idx(at(path, 'query_parameters'), i)));
  return out;
}

export function weightedClusters(w: WeightedCluster, path: string): M.WeightedCluster[] {
  onlyFields(WeightedClusterSchema, w, path, ['clusters', 'total_weight']);
  const list = w.clusters.map((c, i): M.WeightedCluster => {
    const cp = idx(at(path, 'clusters'), i);
    onlyFields(WeightedCluster_ClusterWeightSchema, c, cp, ['name', 'weight', ...mutationFields]);
    return { name: c.name, weight: c.weight ?? 0, ...headerMutations(c, cp) };
  });
  const sum = list.reduce((s, c) => s + c.weight, 0);
  if (w.totalWeight !== undefined && w.totalWeight !== sum) fail(at(path, 'total_weight'), `is ${w.totalWeight} but the weights sum to ${sum}`);
  return list;
}

function hashPolicy(h: RouteAction_HashPolicy, path: string): M.HashPolicy {
  onlyFields(RouteAction_HashPolicySchema, h, path, ['header', 'cookie', 'connection_properties', 'terminal']);
  const terminal = h.terminal || undefined;
  const s = h.policySpecifier;
  switch (s.case) {
    case 'header':
      onlyFields(RouteAction_HashPolicy_HeaderSchema, s.value, at(path, 'header'), ['header_name']);
      return { header: s.value.headerName, terminal };
    case 'cookie': {
      const cp = at(path, 'cookie');
      onlyFields(RouteAction_HashPolicy_CookieSchema, s.value, cp, ['name', 'ttl', 'path']);
      const cookie: { name: string; path?: string; ttlMs?: number } = { name: s.value.name };
      if (s.value.path) cookie.path = s.value.path;
      if (s.value.ttl) cookie.ttlMs = durationMs(s.value.ttl, at(cp, 'ttl'));
      return { cookie, terminal };
    }
    case 'connectionProperties':
      if (!s.value.sourceIp) fail(at(path, 'connection_properties.source_ip'), 'must be true');
      return { sourceIp: true, terminal };
    default:
      return fail(path, `hash policy ${s.case ?? '(none)'} is not supported (header, cookie, connection_properties)`);
  }
}

function routeAction(a: RouteAction, path: string): M.RouteAction {
  onlyFields(RouteActionSchema, a, path, ['cluster', 'weighted_clusters', 'prefix_rewrite', 'host_rewrite_literal', 'timeout', 'retry_policy', 'request_mirror_policies', 'hash_policy']);
  const out: M.RouteAction = { kind: 'route' };
  const c = a.clusterSpecifier;
  if (c.case === 'cluster') out.cluster = c.value;
  else if (c.case === 'weightedClusters') out.weightedClusters = weightedClusters(c.value, at(path, 'weighted_clusters'));
  else fail(path, 'cluster or weighted_clusters is required');
  if (a.prefixRewrite !== '') out.prefixRewrite = a.prefixRewrite;
  if (a.hostRewriteSpecifier.case === 'hostRewriteLiteral') out.hostRewrite = a.hostRewriteSpecifier.value;
  out.timeoutMs = a.timeout === undefined ? DefaultRouteTimeoutMs : durationMs(a.timeout, at(path, 'timeout'));
  if (a.retryPolicy) {
    const rp = at(path, 'retry_policy');
    const r = a.retryPolicy;
    onlyFields(RetryPolicySchema, r, rp, ['retry_on', 'num_retries', 'per_try_timeout', 'retriable_status_codes', 'retry_back_off']);
    out.retryPolicy = {
      retryOn: r.retryOn.split(',').map((s) => s.trim()).filter(Boolean),
      numRetries: r.numRetries ?? DefaultNumRetries,
      perTryTimeoutMs: optDurationMs(r.perTryTimeout, at(rp, 'per_try_timeout')),
      retriableStatusCodes: r.retriableStatusCodes.length ? [...r.retriableStatusCodes] : undefined,
    };
    if (r.retryBackOff) {
      const bp = at(rp, 'retry_back_off');
      onlyFields(RetryPolicy_RetryBackOffSchema, r.retryBackOff, bp, ['base_interval', 'max_interval']);
      if (!r.retryBackOff.baseInterval) fail(at(bp, 'base_interval'), 'is required');
      out.retryPolicy.backoffBaseMs = durationMs(r.retryBackOff.baseInterval, at(bp, 'base_interval'));
      out.retryPolicy.backoffMaxMs = optDurationMs(r.retryBackOff.maxInterval, at(bp, 'max_interval'));
    }
  }
  if (a.requestMirrorPolicies.length) {
    out.mirrorPolicies = a.requestMirrorPolicies.map((m, i) => {
      const mp = idx(at(path, 'request_mirror_policies'), i);
      onlyFields(RouteAction_RequestMirrorPolicySchema, m, mp, ['cluster', 'runtime_fraction']);
      // Without a runtime, Envoy uses runtime_fraction.default_value; unset means 100 %.
      return { cluster: m.cluster, percent: fractionToPercent(m.runtimeFraction?.defaultValue, at(mp, 'runtime_fraction.default_value')) };
    });
  }
  if (a.hashPolicy.length) out.hashPolicy = a.hashPolicy.map((h, i) => hashPolicy(h, idx(at(path, 'hash_policy'), i)));
  return out;
}

const redirectCodes: Record<RedirectAction_RedirectResponseCode, M.RedirectAction['responseCode']> = {
  [RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY]: 301,
  [RedirectAction_RedirectResponseCode.FOUND]: 302,
  [RedirectAction_RedirectResponseCode.SEE_OTHER]: 303,
  [RedirectAction_RedirectResponseCode.TEMPORARY_REDIRECT]: 307,
  [RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT]: 308,
};

function redirect(r: RedirectAction, path: string): M.RedirectAction {
  onlyFields(RedirectActionSchema, r, path, ['https_redirect', 'scheme_redirect', 'host_redirect', 'port_redirect', 'path_redirect', 'prefix_rewrite', 'response_code', 'strip_query']);
  const out: M.RedirectAction = { kind: 'redirect' };
  const s = r.schemeRewriteSpecifier;
  if (s.case === 'httpsRedirect' && s.value) out.scheme = 'https';
  else if (s.case === 'schemeRedirect') {
    const scheme = s.value.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') fail(at(path, 'scheme_redirect'), `"${s.value}" is not supported (http or https)`);
    out.scheme = scheme;
  }
  if (r.hostRedirect) out.host = r.hostRedirect;
  if (r.portRedirect) out.port = r.portRedirect;
  if (r.pathRewriteSpecifier.case === 'pathRedirect') out.path = r.pathRewriteSpecifier.value;
  else if (r.pathRewriteSpecifier.case === 'prefixRewrite') out.prefixRewrite = r.pathRewriteSpecifier.value;
  const code = redirectCodes[r.responseCode];
  if (code === undefined) fail(at(path, 'response_code'), `unknown redirect code ${r.responseCode}`);
  out.responseCode = code;
  if (r.stripQuery) out.stripQuery = true;
  return out;
}

function directResponse(d: DirectResponseAction, path: string): M.DirectResponseAction {
  onlyFields(DirectResponseActionSchema, d, path, ['status', 'body']);
  const out: M.DirectResponseAction = { kind: 'direct', status: d.status };
  const b = d.body?.specifier;
  if (b?.case === 'inlineString') out.body = b.value;
  else if (b?.case === 'inlineBytes') out.body = new TextDecoder().decode(b.value);
  else if (b?.case !== undefined) fail(at(path, 'body'), `${b.case} bodies are not supported (inline_string, inline_bytes)`);
  return out;
}


function route(r: Route, path: string): M.Route {
  onlyFields(RouteSchema, r, path, ['name', 'match', 'route', 'redirect', 'direct_response', 'typed_per_filter_config', 'metadata', 'stat_prefix', ...mutationFields]);
  const out: M.Route = { match: routeMatch(r.match, at(path, 'match')), action: { kind: 'direct', status: 500 } };
  if (r.name) out.name = r.name;
  const a = r.action;
  if (a.case === 'route') out.action = routeAction(a.value, at(path, 'route'));
  else if (a.case === 'redirect') out.action = redirect(a.value, at(path, 'redirect'));
  else if (a.case === 'directResponse') out.action = directResponse(a.value, at(path, 'direct_response'));
  else fail(path, `action ${a.case ?? '(none)'} is not supported (route, redirect, direct_response)`);
  for (const [name, any] of Object.entries(r.typedPerFilterConfig)) {
    const fp = `${at(path, 'typed_per_filter_config')}[${JSON.stringify(name)}]`;
    const typeName = typeNameAt(any, fp);
    if (typeName !== HTTPFaultSchema.typeName) unsupported(fp, 'per-route filter config', name, typeName);
    out.fault = translateFault(unpackAt(any, HTTPFaultSchema, fp), fp);
  }
  return { ...out, ...headerMutations(r, path) };
}

function virtualHost(v: VirtualHost, path: string): M.VirtualHost {
  onlyFields(VirtualHostSchema, v, path, ['name', 'domains', 'routes', 'metadata', ...mutationFields]);
  return { name: v.name, domains: [...v.domains], routes: v.routes.map((r, i) => route(r, idx(at(path, 'routes'), i))), ...headerMutations(v, path) };
}

/** `path` is '' for an RDS resource, `…route_config` for an inline one. */
export function translateRouteConfiguration(rc: RouteConfiguration, path = ''): M.RouteConfiguration {
  // validate_clusters only changes when Envoy checks references; the proxy always does (see docs/proxy-xds.md).
  onlyFields(RouteConfigurationSchema, rc, path, ['name', 'virtual_hosts', 'validate_clusters', 'metadata', ...mutationFields]);
  return { name: rc.name, virtualHosts: rc.virtualHosts.map((v, i) => virtualHost(v, idx(at(path, 'virtual_hosts'), i))), ...headerMutations(rc, path) };
}
