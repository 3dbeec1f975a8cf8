/**
 * Per-request decision, shared by ordinary requests and Upgrade (WebSocket) tunnels: HTTP filters
 * (fault, RBAC, local rate limit) in the chain's order, route selection, cluster and endpoint
 * choice, and the upstream request headers. Everything the client may be told instead of being
 * forwarded comes back as a `Reply`.
 */
import { PeerMetadataHeader } from '../admin/workload-labels';
import type { FilterChain, HashPolicy, HttpConnectionManager, LbEndpoint, NodeInfo, Route, RouteConfiguration, WeightedCluster } from '../config/model';
import { errorResponse, type ResponseFlag } from '../core/errors';
import { endToEndHeaders, mutateHeaders, type HeaderMap, type HeaderMutationSource } from '../core/headers';
import { hash64 } from '../core/lb';
import { cookieValue, generateSessionCookie } from '../core/resilience/session-cookie';
import { evaluateRbac } from '../core/rbac';
import { pickWeighted, redirectLocation, rewritePath, selectRoute, type RouteRequest } from '../core/router';
import { TokenBucket } from '../core/token-bucket';
import { formatXfcc } from '../core/xfcc';
import type { ClusterRuntime, Snapshot } from '../runtime/snapshot';
import type { PeerIdentity } from '../tls/contexts';

/** What the listener learnt about the downstream connection; attached to the socket. */
export interface ConnInfo {
  listenerName: string;
  chainName: string;
  /** The chain as it was when the connection was accepted (used if a config push removed it). */
  chain: FilterChain;
  direction: 'inbound' | 'outbound';
  secure: boolean;
  peer?: PeerIdentity;
  sourceAddress: string;
  destinationAddress?: string;
  destinationPort: number;
  /** This connection's own x-forwarded-client-cert element, formatted once (`by`: our id when formatted). */
  xfcc?: { by: string | undefined; value: string };
  /** The metrics series of this connection's last request and what it was keyed on (the labels that vary). */
  lastSeries?: { status: number; flags: string; cluster: string; grpc: string; ownId: string | undefined; node: NodeInfo; peerMetadata: HeaderMap[string]; series: number };
}

export const kConnInfo = Symbol('skein.conn');

export interface DownstreamRequest {
  method: string;
  /** Path and query. */
  path: string;
  authority: string;
  headers: HeaderMap;
  grpc: boolean;
}

export type Reply =
  | { kind: 'error'; flag: ResponseFlag; policy?: string }
  | { kind: 'direct'; status: number; body?: string; headers: HeaderMap }
  | { kind: 'fault-abort'; status: number; grpcStatus?: number };

export interface Forward {
  kind: 'forward';
  route: Route;
  cluster: ClusterRuntime;
  endpoint: LbEndpoint;
  /** End-to-end request headers for the upstream (no pseudo-headers, no Host). */
  headers: HeaderMap;
  path: string;
  authority: string;
  /** Response header mutations, in Envoy order. */
  responseMutations: (HeaderMutationSource | undefined)[];
  timeoutMs: number;
  delayMs: number;
  /** Set-Cookie for a session-affinity cookie the proxy generated (hash_policy.cookie with ttl). */
  setCookie?: string;
}

export interface DecideDeps {
  random(): number;
  now(): number;
  activeRequests(hostKey: string): number;
  /** Own SPIFFE id, for XFCC `By=`. */
  ownId(): string | undefined;
}

// Local rate limit buckets live as long as the filter config object (a new snapshot → new buckets).
const buckets = new WeakMap<object, TokenBucket>();

export function decide(snap: Snapshot, conn: ConnInfo, hcm: HttpConnectionManager, req: DownstreamRequest, deps: DecideDeps): Reply | Forward {
  const routeConfig: RouteConfiguration | undefined = hcm.routeConfig ?? (hcm.rds === undefined ? undefined : snap.routeConfigs.get(hcm.rds));
  const routeReq: RouteRequest = { method: req.method, path: req.path, authority: req.authority, header: (n) => joined(req.headers[n]) };
  const selection = routeConfig && selectRoute(routeConfig, routeReq);
  let delayMs = 0;
  for (const f of hcm.httpFilters ?? []) {
    if (f.type === 'rbac') {
      const d = evaluateRbac([f.rbac], { principal: conn.peer?.spiffeId, namespace: conn.peer?.namespace, destinationPort: conn.destinationPort, path: req.path, method: req.method });
      if (!d.allowed) return { kind: 'error', flag: 'UAEX', policy: d.policy };
    } else if (f.type === 'local-rate-limit') {
      let bucket = buckets.get(f.rateLimit);
      if (!bucket) buckets.set(f.rateLimit, (bucket = new TokenBucket(f.rateLimit, deps.now())));
      if (!bucket.take(deps.now())) return { kind: 'error', flag: 'RL' };
    } else if (f.type === 'fault') {
      const policy = selection?.route.fault ?? f.fault;
      if (policy.abort && deps.random() * 100 < policy.abort.percent) {
        return { kind: 'fault-abort', status: policy.abort.httpStatus ?? 200, grpcStatus: policy.abort.grpcStatus };
      }
      if (policy.delay && deps.random() * 100 < policy.delay.percent) delayMs = policy.delay.fixedDelayMs;
    }
  }
  if (!selection) return { kind: 'error', flag: 'NR' };
  const { route, virtualHost } = selection;
  const action = route.action;
  if (action.kind === 'direct') {
    const headers: HeaderMap = {};
    mutateHeaders(headers, [route, virtualHost, routeConfig], 'response');
    return { kind: 'direct', status: action.status, body: action.body, headers };
  }
  if (action.kind === 'redirect') {
    const headers: HeaderMap = { location: redirectLocation(route, { path: req.path, authority: req.authority, scheme: conn.secure ? 'https' : 'http' }) };
    mutateHeaders(headers, [route, virtualHost, routeConfig], 'response');
    return { kind: 'direct', status: action.responseCode ?? 301, headers };
  }
  let weighted: WeightedCluster | undefined;
  let clusterName = action.cluster;
  if (action.weightedClusters) {
    weighted = pickWeighted(action.weightedClusters, deps.random());
    clusterName = weighted.name;
  }
  const cluster = snap.clusters.get(clusterName!);
  if (!cluster) return { kind: 'error', flag: 'NC' };
  let endpoint: LbEndpoint | undefined;
  let setCookie: string | undefined;
  if (cluster.config.type === 'original-dst') {
    endpoint = conn.destinationAddress ? { address: conn.destinationAddress, port: conn.destinationPort } : undefined;
  } else {
    const h = requestHash(action.hashPolicy, req, conn, deps.random);
    setCookie = h.setCookie;
    endpoint = cluster.pick({ random: deps.random, activeRequests: deps.activeRequests, hash: h.hash });
  }
  if (!endpoint) return { kind: 'error', flag: 'UH' };

  const xfccMode = hcm.forwardClientCert ?? 'sanitize-set';
  const headers = endToEndHeaders(req.headers, xfccMode === 'forward-only' ? NotForwarded : NotForwardedWithXfcc);
  applyXfcc(headers, req.headers['x-forwarded-client-cert'], xfccMode, conn, deps);
  const mutations = [route, weighted, virtualHost, routeConfig];
  mutateHeaders(headers, mutations, 'request');
  let authority = req.authority;
  if (action.hostRewrite) authority = action.hostRewrite;
  const override = headers[':authority'];
  if (typeof override === 'string') {
    authority = override;
    delete headers[':authority'];
  }
  return {
    kind: 'forward',
    route,
    cluster,
    endpoint,
    headers,
    path: rewritePath(route, req.path),
    authority,
    responseMutations: mutations,
    timeoutMs: action.timeoutMs ?? 0,
    delayMs,
    ...(setCookie ? { setCookie } : {}),
  };
}

function joined(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Request headers never copied upstream: `expect` was answered downstream (100-continue), `host`
 * becomes the authority, the peer metadata header is the sidecars' own (admin/workload-labels.ts).
 */
const NotForwarded: ReadonlySet<string> = new Set(['expect', 'host', PeerMetadataHeader]);
/** The same, and the caller's x-forwarded-client-cert (every mode but forward-only replaces or drops it). */
const NotForwardedWithXfcc: ReadonlySet<string> = new Set([...NotForwarded, 'x-forwarded-client-cert']);

/** Sets x-forwarded-client-cert per the mode; the caller's value was already left out unless forward-only. */
function applyXfcc(headers: HeaderMap, incoming: HeaderMap[string], mode: NonNullable<HttpConnectionManager['forwardClientCert']>, conn: ConnInfo, deps: DecideDeps): void {
  if (mode === 'forward-only' || mode === 'sanitize' || !conn.secure || !conn.peer?.spiffeId) return;
  // The peer is fixed for the connection and our id changes only on rotation: format once per both.
  const by = deps.ownId();
  const cached = conn.xfcc;
  let own = cached && cached.by === by ? cached.value : undefined;
  if (own === undefined) {
    own = formatXfcc({ by, hash: conn.peer.certHash, uri: conn.peer.spiffeId });
    conn.xfcc = { by, value: own };
  }
  headers['x-forwarded-client-cert'] = mode === 'append-forward' && incoming ? `${joined(incoming)},${own}` : own;
}

function requestHash(policies: HashPolicy[] | undefined, req: DownstreamRequest, conn: ConnInfo, random: () => number): { hash?: bigint; setCookie?: string } {
  if (!policies) return {};
  let hash: bigint | undefined;
  let setCookie: string | undefined;
  for (const p of policies) {
    let value: string | undefined;
    if ('header' in p) value = joined(req.headers[p.header]);
    else if ('cookie' in p) {
      value = cookieValue(joined(req.headers.cookie), p.cookie.name);
      const generated = value === undefined ? generateSessionCookie(p.cookie, random) : undefined;
      if (generated) ({ value, setCookie } = generated);
    } else value = conn.sourceAddress;
    if (value !== undefined) {
      const h = hash64(value);
      // Envoy combines several policies' hashes: rotate-left-1 then xor.
      hash = hash === undefined ? h : (((hash << 1n) | (hash >> 63n)) & 0xffffffffffffffffn) ^ h;
      if (p.terminal) break;
    }
  }
  return { hash, setCookie };
}


/** The error reply as status, headers and body; gRPC callers get HTTP 200 + grpc-status (trailers-only). */
export function errorReply(flag: ResponseFlag, grpc: boolean): { status: number; headers: HeaderMap; body: string } {
  const e = errorResponse(flag);
  if (grpc) {
    return { status: 200, headers: { 'content-type': 'application/grpc', 'grpc-status': String(e.grpcStatus), 'grpc-message': encodeURIComponent(e.body), 'x-skein-response-flags': flag }, body: '' };
  }
  return { status: e.status, headers: { 'content-type': 'text/plain', 'x-skein-response-flags': flag }, body: e.body };
}
