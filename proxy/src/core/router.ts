/**
 * Route selection, Envoy semantics (pure): virtual host by authority, then the first route whose
 * match holds; weighted cluster choice with injected randomness; path/host rewrites; redirects.
 */
import type { HeaderMatcher, PathMatch, QueryParameterMatcher, Route, RouteConfiguration, RouteMatch, VirtualHost, WeightedCluster } from '../config/model';

/** What routing looks at. Header names are lower case; a repeated header is joined with ','. */
export interface RouteRequest {
  method: string;
  /** Path with query string, as sent (`/a/b?x=1`). */
  path: string;
  authority: string;
  header(name: string): string | undefined;
}

export interface RouteSelection {
  virtualHost: VirtualHost;
  route: Route;
}

/** Picks the virtual host for an authority: exact, longest `*.suffix`, longest `prefix.*`, then `*`. */
export function selectVirtualHost(config: RouteConfiguration, authority: string): VirtualHost | undefined {
  const host = authority.toLowerCase();
  const hostNoPort = stripPort(host);
  let best: VirtualHost | undefined;
  let bestRank = -1;
  for (const vh of config.virtualHosts) {
    for (const raw of vh.domains) {
      const rank = domainRank(raw.toLowerCase(), host, hostNoPort);
      if (rank > bestRank) {
        best = vh;
        bestRank = rank;
      }
    }
  }
  return best;
}

// Exact beats every wildcard; longer wildcards beat shorter; suffix wildcards beat prefix ones.
function domainRank(domain: string, host: string, hostNoPort: string): number {
  if (domain === host || domain === hostNoPort) return 3_000_000;
  if (domain === '*') return 0;
  if (domain.startsWith('*')) {
    const suffix = domain.slice(1);
    if ((host.endsWith(suffix) && host.length > suffix.length) || (hostNoPort.endsWith(suffix) && hostNoPort.length > suffix.length)) return 2_000_000 + suffix.length;
  } else if (domain.endsWith('*')) {
    const prefix = domain.slice(0, -1);
    if (host.startsWith(prefix) && host.length > prefix.length) return 1_000_000 + prefix.length;
  }
  return -1;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/** The virtual host and first matching route, or undefined (→ 404 `NR`). */
export function selectRoute(config: RouteConfiguration, req: RouteRequest): RouteSelection | undefined {
  const virtualHost = selectVirtualHost(config, req.authority);
  if (!virtualHost) return undefined;
  const route = virtualHost.routes.find((r) => routeMatches(r.match, req));
  return route && { virtualHost, route };
}

const regexCache = new Map<string, RegExp>();
function anchored(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, flags);
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

export function splitPath(path: string): { pathOnly: string; query: string } {
  const q = path.indexOf('?');
  return q < 0 ? { pathOnly: path, query: '' } : { pathOnly: path.slice(0, q), query: path.slice(q + 1) };
}

export function routeMatches(match: RouteMatch, req: RouteRequest): boolean {
  const { pathOnly, query } = splitPath(req.path);
  if (match.path && !pathMatches(match.path, pathOnly, match.caseSensitive !== false)) return false;
  if (match.headers && !match.headers.every((h) => headerMatches(h, req))) return false;
  if (match.queryParameters && !match.queryParameters.every((q) => queryMatches(q, query))) return false;
  return true;
}

function pathMatches(m: PathMatch, path: string, caseSensitive: boolean): boolean {
  if ('regex' in m) return anchored(m.regex, caseSensitive ? '' : 'i').test(path);
  const p = caseSensitive ? path : path.toLowerCase();
  if ('exact' in m) return p === (caseSensitive ? m.exact : m.exact.toLowerCase());
  return p.startsWith(caseSensitive ? m.prefix : m.prefix.toLowerCase());
}

function headerValue(req: RouteRequest, name: string): string | undefined {
  if (name === ':method') return req.method;
  if (name === ':path') return req.path;
  if (name === ':authority' || name === 'host') return req.authority;
  return req.header(name);
}

export function headerMatches(m: HeaderMatcher, req: RouteRequest): boolean {
  const value = headerValue(req, m.name);
  let ok: boolean;
  if (m.present !== undefined) ok = (value !== undefined) === m.present;
  else if (value === undefined) ok = false;
  else if (m.exact !== undefined) ok = value === m.exact;
  else if (m.prefix !== undefined) ok = value.startsWith(m.prefix);
  else if (m.suffix !== undefined) ok = value.endsWith(m.suffix);
  else if (m.regex !== undefined) ok = anchored(m.regex, '').test(value);
  else ok = true;
  return m.invert ? !ok : ok;
}

function queryMatches(m: QueryParameterMatcher, query: string): boolean {
  const value = queryParam(query, m.name);
  if (m.present !== undefined) return (value !== undefined) === m.present;
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.regex !== undefined) return anchored(m.regex, '').test(value);
  return true;
}

function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    if (key === name) return eq < 0 ? '' : safeDecode(part.slice(eq + 1));
  }
  return undefined;
}
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Weighted choice; `random` in [0, 1). Zero-weight entries are never picked. */
export function pickWeighted<T extends Pick<WeightedCluster, 'weight'>>(items: readonly T[], random: number): T {
  let total = 0;
  for (const i of items) total += i.weight;
  let point = random * total;
  for (const i of items) {
    if (i.weight === 0) continue;
    if (point < i.weight) return i;
    point -= i.weight;
  }
  // Floating point edge: the last non-zero entry.
  for (let k = items.length - 1; k >= 0; k--) if (items[k]!.weight > 0) return items[k]!;
  throw new Error('pickWeighted: no entry with weight > 0');
}

/** The upstream path after prefixRewrite / pathRewrite (query string kept). */
export function rewritePath(route: Route, path: string): string {
  if (route.action.kind !== 'route') return path;
  const { prefixRewrite, pathRewrite } = route.action;
  if (pathRewrite === undefined && prefixRewrite === undefined) return path;
  const { pathOnly, query } = splitPath(path);
  const suffix = query === '' ? '' : `?${query}`;
  if (pathRewrite !== undefined) return pathRewrite + suffix;
  const m = route.match.path;
  const prefix = m && 'prefix' in m ? m.prefix : '';
  return prefixRewrite + pathOnly.slice(prefix.length) + suffix;
}

/** Location header for a redirect route. */
export function redirectLocation(route: Route, req: { path: string; authority: string; scheme: string }): string {
  if (route.action.kind !== 'redirect') throw new Error('not a redirect route');
  const a = route.action;
  const scheme = a.scheme ?? req.scheme;
  const host = stripPort(a.host ?? req.authority);
  const origPort = a.host === undefined && req.authority !== host ? req.authority.slice(host.length + 1) : '';
  const port = a.port !== undefined ? String(a.port) : origPort;
  const split = splitPath(req.path);
  const query = split.query;
  let pathOnly = split.pathOnly;
  if (a.path !== undefined) pathOnly = a.path;
  else if (a.prefixRewrite !== undefined) {
    const m = route.match.path;
    const prefix = m && 'prefix' in m ? m.prefix : '';
    pathOnly = a.prefixRewrite + pathOnly.slice(prefix.length);
  }
  const q = a.stripQuery || query === '' ? '' : `?${query}`;
  return `${scheme}://${host}${port ? `:${port}` : ''}${pathOnly}${q}`;
}
