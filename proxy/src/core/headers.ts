/**
 * Header mutations (Envoy request/response_headers_to_add/remove) in Envoy's order: route, then
 * virtual host, then route configuration; removals before additions. Headers are a plain object
 * with lower-case names, as node:http and node:http2 hand them out.
 */
import type { HeaderValueOption } from '../config/model';

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface HeaderMutationSource {
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
}

export function mutateHeaders(headers: HeaderMap, sources: readonly (HeaderMutationSource | undefined)[], direction: 'request' | 'response'): void {
  for (const s of sources) {
    if (!s) continue;
    const remove = direction === 'request' ? s.requestHeadersToRemove : s.responseHeadersToRemove;
    if (remove) for (const name of remove) delete headers[name];
  }
  for (const s of sources) {
    if (!s) continue;
    const add = direction === 'request' ? s.requestHeadersToAdd : s.responseHeadersToAdd;
    if (add) for (const h of add) addHeader(headers, h);
  }
}

function addHeader(headers: HeaderMap, h: HeaderValueOption): void {
  const existing = headers[h.name];
  if (h.action === 'overwrite' || existing === undefined) headers[h.name] = h.value;
  else headers[h.name] = Array.isArray(existing) ? [...existing, h.value] : [existing, h.value];
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) never forwarded, plus HTTP/2-forbidden ones. */
export const HopByHopHeaders: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'http2-settings',
]);

/**
 * Headers `Connection` can never remove (RFC 9110 §7.6.1 lets a sender name hop-by-hop headers,
 * not these): dropping them would change where a message ends or whom it is for.
 */
const NeverConnectionOptions: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'host']);

/**
 * Copies end-to-end headers, dropping hop-by-hop ones, those named in `Connection` (never
 * content-length, transfer-encoding or host), pseudo-headers and the names in `drop` (skipped
 * while copying: deleting from the copy afterwards would turn it into a slow dictionary-mode
 * object on the hot path).
 */
export function endToEndHeaders(input: HeaderMap, drop?: ReadonlySet<string>): HeaderMap {
  const out: HeaderMap = {};
  const conn = input.connection;
  const named = conn === undefined ? undefined : connectionOptions(conn);
  for (const name in input) {
    if (name.charCodeAt(0) === 58 /* : */ || HopByHopHeaders.has(name) || drop?.has(name)) continue;
    if (named?.has(name) && !NeverConnectionOptions.has(name)) continue;
    out[name] = input[name];
  }
  // gRPC needs `te: trailers` end to end (it is the one allowed TE value in HTTP/2).
  if (input.te === 'trailers') out.te = 'trailers';
  return out;
}

function connectionOptions(v: string | string[]): Set<string> {
  return new Set((Array.isArray(v) ? v.join(',') : v).toLowerCase().split(',').map((s) => s.trim()));
}
