/**
 * The proxy's configuration model: plain TypeScript, no proto types.
 *
 * This is the contract between whoever produces configuration (the xDS client translating Envoy v3
 * resources, a static JSON file, tests) and the data plane. It mirrors Envoy's semantics for the
 * subset Skein serves (docs/proxy.md has the field-by-field mapping); a producer that meets an
 * Envoy feature it cannot express here must reject (NACK) the resource, never drop it silently.
 *
 * Rules that hold for every field:
 * - Durations are integer milliseconds (`…Ms`). Sizes are bytes unless the name says otherwise.
 * - Optional fields mean "Envoy's default"; the defaults are listed on the field and applied in ONE
 *   place (`validate.ts`), so the data plane always sees complete objects (`Resolved*` types are not
 *   needed: validation returns the same shapes with defaults filled in).
 * - Names are references: `HttpConnectionManager.rds` → `RouteConfiguration.name`,
 *   route/tcp `cluster` → `Cluster.name`, `ClusterLoadAssignment.clusterName` → `Cluster.name`.
 *   `validateConfig` rejects a snapshot whose references do not resolve.
 * - A snapshot is immutable once applied: the proxy never mutates it; `applyConfig` swaps it whole.
 *
 * Stability: fields may be added (optional, with a default); existing fields keep their meaning.
 * `ConfigModelVersion` changes only on an incompatible change.
 */

export const ConfigModelVersion = 1;

/** A whole, consistent snapshot of a proxy's configuration. */
export interface ProxyConfig {
  /** Opaque version label of this snapshot (xDS version_info, or the file's mtime); shown in /config_dump. */
  version: string;
  /** Who this proxy is; used for metric labels and XFCC. */
  node: NodeInfo;
  listeners: Listener[];
  routeConfigs: RouteConfiguration[];
  clusters: Cluster[];
  /** EDS results, one per EDS cluster (static clusters carry their endpoints inline in `Cluster.endpoints`). */
  endpoints: ClusterLoadAssignment[];
}

export interface NodeInfo {
  /** xDS node id, `sidecar~<podIP>~<pod>.<ns>~<ns>.svc.cluster.local`. */
  id: string;
  /** Workload name (metric label `source_workload` / `destination_workload`). Default: pod name or `unknown`. */
  workload?: string;
  namespace?: string;
  /** The pod's `version` label (metric label `source_version` / `destination_version`). */
  version?: string;
}

// ───────────────────────────── listeners ─────────────────────────────

/**
 * - `outbound-transparent`: :15001, traffic redirected by iptables; the chain is selected by the
 *   connection's original destination (VIP:port); no matching chain → `defaultChain` (passthrough
 *   TCP to the original destination when it is a `passthrough` TcpProxy).
 * - `inbound`: :15006 (or an explicit port in local mode); chains selected by destination port
 *   (original destination, or `destinationPort` when set) and transport (TLS ClientHello or not).
 * - `outbound-explicit`: local mode, the app calls 127.0.0.1:PORT; the listener's `destinationPort`
 *   stands for the service port, chains are matched as for outbound (usually one chain).
 */
export type ListenerKind = 'outbound-transparent' | 'inbound' | 'outbound-explicit';

export interface Listener {
  /** Unique; `virtualOutbound`, `virtualInbound`, or e.g. `127.0.0.1_9080` for explicit listeners. */
  name: string;
  /** Bind address, e.g. `0.0.0.0` or `127.0.0.1`. */
  address: string;
  port: number;
  kind: ListenerKind;
  /**
   * Local mode: the destination port this listener stands for, instead of looking up the original
   * destination of the connection (which only exists when iptables redirected it).
   */
  destinationPort?: number;
  /** Tried in order; the most specific match wins (see `FilterChainMatch`). */
  filterChains: FilterChain[];
  /** Used when no chain matches. Absent → the connection is closed. */
  defaultChain?: FilterChain;
}

/**
 * Envoy filter_chain_match subset. Every field that is set must match; among matching chains the
 * one with the most fields set wins (Envoy's most-specific-match order: destination port, then
 * destination address, then transport, then application protocol); ties → first in the list.
 */
export interface FilterChainMatch {
  /** Original destination IPs (service VIPs), exact. Outbound only. */
  destinationAddresses?: string[];
  destinationPort?: number;
  /** `tls`: the first bytes are a TLS ClientHello; `plaintext`: anything else. Inbound PERMISSIVE has one chain of each. */
  transport?: 'tls' | 'plaintext';
  /**
   * Sniffed application protocol of a plaintext connection (Envoy's http_inspector):
   * `http` (HTTP/1.x or the h2c preface) or `tcp` (anything else). Outbound `auto` ports have one chain of each.
   */
  applicationProtocol?: 'http' | 'tcp';
}

export interface FilterChain {
  name: string;
  match: FilterChainMatch;
  /** TLS termination (inbound mTLS). Only valid on chains with `match.transport: 'tls'`. */
  tls?: DownstreamTls;
  /** The network filter: exactly one HTTP connection manager or TCP proxy. */
  filter: HttpConnectionManager | TcpProxy;
}

/** Downstream (server-side) TLS: the proxy's own certificate (`default`) and the mesh roots (`ROOTCA`). */
export interface DownstreamTls {
  /** Secret with the proxy's certificate; only `default` is served (resolved from the IdentityProvider). */
  certificateSecret: 'default';
  /** Secret with the roots a client certificate must chain to; only `ROOTCA`. */
  validationSecret: 'ROOTCA';
  /** Default true (mTLS). false only for plain server TLS, which Skein's translator never emits. */
  requireClientCertificate?: boolean;
  /** If set, the client's SPIFFE id must be one of these (Envoy match_typed_subject_alt_names). */
  allowedPeerSans?: string[];
  /** Offered ALPN, in preference order. Default `['h2', 'http/1.1']`. */
  alpnProtocols?: string[];
}

// ───────────────────────────── network filters ─────────────────────────────

export interface HttpConnectionManager {
  type: 'http';
  /** Metric/log prefix, e.g. `inbound_0.0.0.0_9080`. */
  statPrefix: string;
  /** Downstream codec. `auto` (default): HTTP/1.1, or HTTP/2 when ALPN says h2 or the h2c preface is seen. */
  codec?: 'auto' | 'http1' | 'http2';
  /** Exactly one of `rds` (name of a RouteConfiguration in the snapshot) or an inline `routeConfig`. */
  rds?: string;
  routeConfig?: RouteConfiguration;
  /** Applied in order; must end with `router`. Default `[{ type: 'router' }]`. */
  httpFilters?: HttpFilter[];
  /**
   * x-forwarded-client-cert handling (Envoy forward_client_cert_details). Default `sanitize-set`:
   * drop any XFCC the client sent; on mTLS connections set `By=<own id>;URI=<peer id>` (plus Hash).
   */
  forwardClientCert?: 'sanitize' | 'sanitize-set' | 'forward-only' | 'append-forward';
  /** Total size of request headers. Default 60 KiB. Larger → 431. */
  maxRequestHeadersBytes?: number;
  /** Time to receive the full request headers. Default 10000 ms. Exceeded → 408 and close. */
  requestHeadersTimeoutMs?: number;
  /** Idle time of a downstream connection with no request in flight. Default 300000 ms. */
  idleTimeoutMs?: number;
  /** Inbound: header set so the app can tell the request came through the mesh. Default none. */
  serverName?: string;
}

export type HttpFilter =
  | { type: 'fault'; fault: FaultPolicy }
  | { type: 'rbac'; rbac: RbacConfig }
  | { type: 'local-rate-limit'; rateLimit: LocalRateLimit }
  | { type: 'router' };

export interface TcpProxy {
  type: 'tcp';
  statPrefix: string;
  /**
   * Exactly one of `cluster` or `weightedClusters`, or `passthrough: true` (connect to the
   * connection's original destination; Envoy's PassthroughCluster).
   */
  cluster?: string;
  weightedClusters?: WeightedCluster[];
  passthrough?: boolean;
  /** Evaluated once per connection (no paths or methods at L4); a deny closes the connection. */
  rbac?: RbacConfig;
  /** Close when neither side sent anything for this long. Default 3600000 ms. */
  idleTimeoutMs?: number;
}

export interface WeightedCluster {
  name: string;
  /** Relative weight, integer >= 0; weights need not sum to 100. */
  weight: number;
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
}

/** Token bucket (Envoy local_ratelimit). Over the limit → 429 with flag `RL`. */
export interface LocalRateLimit {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

// ───────────────────────────── routes ─────────────────────────────

export interface RouteConfiguration {
  name: string;
  virtualHosts: VirtualHost[];
  /** Applied to every request/response on this config, after the virtual host's and route's. */
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
}

export interface VirtualHost {
  name: string;
  /**
   * Host/authority values, Envoy rules: exact (`reviews.default.svc.cluster.local`, `reviews:9080`),
   * suffix wildcard (`*.example.com`), prefix wildcard (`reviews.*`), or `*`. Most specific wins:
   * exact, then longest suffix wildcard, then longest prefix wildcard, then `*`. Matching ignores
   * case; a domain without a port also matches the host with any port.
   */
  domains: string[];
  /** First match wins. */
  routes: Route[];
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
}

export interface Route {
  name?: string;
  match: RouteMatch;
  action: RouteAction | RedirectAction | DirectResponseAction;
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
  /** Per-route fault injection (overrides the HCM fault filter's policy for this route). */
  fault?: FaultPolicy;
}

export type PathMatch = { exact: string } | { prefix: string } | { regex: string };

export interface RouteMatch {
  /** Absent → matches every path (like `prefix: '/'`). Compared to the path without the query string. */
  path?: PathMatch;
  /** Default true. false: exact/prefix compare ignoring case; regex gets the `i` flag. */
  caseSensitive?: boolean;
  /** All must match. The method is matched as header `:method`, the authority as `:authority`. */
  headers?: HeaderMatcher[];
  /** All must match. */
  queryParameters?: QueryParameterMatcher[];
}

/**
 * Exactly one of exact/prefix/suffix/regex/present. Regex is anchored (full match), as Envoy's
 * safe_regex. A header sent several times matches against the values joined with `,`.
 */
export interface HeaderMatcher {
  name: string;
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
  /** true: header present (any value); false: header absent. */
  present?: boolean;
  /** Inverts the result. */
  invert?: boolean;
}

/** Exactly one of exact/regex/present. */
export interface QueryParameterMatcher {
  name: string;
  exact?: string;
  regex?: string;
  present?: boolean;
}

/** `append`: add another value (Envoy APPEND_IF_EXISTS_OR_ADD); `overwrite`: replace (OVERWRITE_IF_EXISTS_OR_ADD). */
export interface HeaderValueOption {
  name: string;
  value: string;
  action: 'append' | 'overwrite';
}

export interface RouteAction {
  kind: 'route';
  /** Exactly one of `cluster` or `weightedClusters`. */
  cluster?: string;
  weightedClusters?: WeightedCluster[];
  /** Replaces the matched path prefix (only with a `prefix` path match). */
  prefixRewrite?: string;
  /** Replaces the whole path (the query string is kept). */
  pathRewrite?: string;
  /** Replaces `:authority`/Host. */
  hostRewrite?: string;
  /** Whole request (headers sent → response headers received) deadline. Default 0 = none. Exceeded → 504 `UT`. */
  timeoutMs?: number;
  /** Retries (docs/resilience.md has the rules for bodies and non-idempotent methods). */
  retryPolicy?: RetryPolicy;
  /** Shadow copies (fire and forget, `-shadow` authority; bodies only when within the 64 KiB buffer). */
  mirrorPolicies?: MirrorPolicy[];
  /** For `ring-hash` clusters; the first policy that yields a value decides. No value → random pick. */
  hashPolicy?: HashPolicy[];
}

export interface RedirectAction {
  kind: 'redirect';
  scheme?: 'http' | 'https';
  host?: string;
  port?: number;
  /** Replaces the whole path (query kept). */
  path?: string;
  prefixRewrite?: string;
  /** Default 301. */
  responseCode?: 301 | 302 | 303 | 307 | 308;
  stripQuery?: boolean;
}

export interface DirectResponseAction {
  kind: 'direct';
  status: number;
  body?: string;
}

export interface RetryPolicy {
  /** Envoy retry_on tokens: `5xx`, `gateway-error`, `connect-failure`, `reset`, `retriable-4xx`, `refused-stream`, `retriable-status-codes`, and gRPC `cancelled`, `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`. */
  retryOn: string[];
  numRetries: number;
  perTryTimeoutMs?: number;
  retriableStatusCodes?: number[];
  /** Envoy retry_back_off: jittered exponential back-off base. Default 25 ms. */
  backoffBaseMs?: number;
  /** Back-off cap. Default 10 × base (250 ms). */
  backoffMaxMs?: number;
}

export interface MirrorPolicy {
  cluster: string;
  /** 0–100, default 100. */
  percent?: number;
}

export interface FaultPolicy {
  delay?: { fixedDelayMs: number; percent: number };
  abort?: { httpStatus?: number; grpcStatus?: number; percent: number };
}

export type HashPolicy =
  | { header: string; terminal?: boolean }
  | { cookie: { name: string; path?: string; ttlMs?: number }; terminal?: boolean }
  | { sourceIp: true; terminal?: boolean };

// ───────────────────────────── clusters and endpoints ─────────────────────────────

/**
 * `eds`: endpoints come from `ProxyConfig.endpoints`; `static`: from `endpoints` inline;
 * `original-dst`: connect to the downstream connection's original destination (passthrough).
 */
export type ClusterType = 'eds' | 'static' | 'original-dst';
export type LbPolicy = 'round-robin' | 'least-request' | 'random' | 'ring-hash';

export interface Cluster {
  /** `outbound|<port>|<subset>|<fqdn>` or `inbound|<port>||`. */
  name: string;
  type: ClusterType;
  /** Default `round-robin`. `original-dst` clusters ignore it. */
  lbPolicy?: LbPolicy;
  /** Ring hash: ring entries; default 1024 (Envoy's minimum_ring_size). */
  ringSize?: number;
  /** Default 10000 ms. Exceeded → 503 `UF`. */
  connectTimeoutMs?: number;
  /** Default plaintext. */
  transport?: UpstreamTransport;
  /**
   * Upstream HTTP protocol. Default `http1`. `http2`: h2 (ALPN `h2` over TLS, prior knowledge h2c
   * over plaintext). `auto`: follow ALPN over TLS (h2 if the peer offers it), the downstream's
   * protocol over plaintext.
   */
  protocol?: 'http1' | 'http2' | 'auto';
  /**
   * Envoy common_http_protocol_options.max_requests_per_connection: a pooled connection (HTTP/1.1)
   * or session (HTTP/2) serves at most this many requests, then is closed. Default unlimited.
   */
  maxRequestsPerConnection?: number;
  /** Envoy common_http_protocol_options.idle_timeout: close pooled upstream connections idle this long. Default 60000 ms. */
  upstreamIdleTimeoutMs?: number;
  /** Envoy circuit_breakers (default priority). */
  circuitBreakers?: CircuitBreakers;
  outlierDetection?: OutlierDetection;
  /**
   * Envoy common_lb_config.healthy_panic_threshold: below this share of healthy (not ejected)
   * endpoints, balance over all of them. Default 50; 0 disables panic mode.
   */
  panicThresholdPercent?: number;
  /** Active HTTP health checking (Envoy health_checks with http_health_check); docs/resilience.md. */
  healthCheck?: HealthCheck;
  /** Only for `static` clusters. */
  endpoints?: LbEndpoint[];
}

export interface HealthCheck {
  /** Probed with GET; 2xx passes. */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Failed probes in a row that mark an endpoint unhealthy. */
  unhealthyThreshold: number;
  /** Passed probes in a row that mark it healthy again. */
  healthyThreshold: number;
}

export type UpstreamTransport =
  | { kind: 'plaintext' }
  | {
      kind: 'mtls';
      /** The proxy's own certificate, `default`, and the mesh roots, `ROOTCA`, from the IdentityProvider. */
      certificateSecret: 'default';
      validationSecret: 'ROOTCA';
      /** The peer's SPIFFE id must be one of these. Required: an empty list would trust any mesh workload. */
      expectedSans: string[];
      /** SNI sent, e.g. `outbound_.9080_._.reviews.default.svc.cluster.local`. Optional. */
      sni?: string;
    };

export interface CircuitBreakers {
  /** Default 1024. Over the limit → 503 `UO`. */
  maxConnections?: number;
  maxPendingRequests?: number;
  /** Default 1024 concurrent requests. Over the limit → 503 `UO`. */
  maxRequests?: number;
  /** Default 3 concurrent retries; ignored when `retryBudget` is set (Envoy). Over the limit → no retry. */
  maxRetries?: number;
  /** Envoy retry_budget: concurrent retries ≤ max(minRetryConcurrency, budgetPercent % of active requests). */
  retryBudget?: { budgetPercent: number; minRetryConcurrency: number };
}

/** Envoy outlier_detection (passive health checking); docs/resilience.md. 0 disables a detector. */
export interface OutlierDetection {
  /** Default 5. */
  consecutive5xx?: number;
  /** Default 0 (off, as Envoy's enforcing_consecutive_gateway_failure default). */
  consecutiveGatewayErrors?: number;
  /** Sweep interval: ejections end and multipliers decay on it. Default 10000 ms. */
  intervalMs?: number;
  /** Default 30000 ms, multiplied by the number of times the host was ejected. */
  baseEjectionTimeMs?: number;
  /** Default 300000 ms. */
  maxEjectionTimeMs?: number;
  /** Default 10. At least one host can always be ejected. */
  maxEjectionPercent?: number;
}

export interface ClusterLoadAssignment {
  clusterName: string;
  endpoints: LbEndpoint[];
}

export type EndpointHealth = 'healthy' | 'unhealthy' | 'draining' | 'unknown';

export interface LbEndpoint {
  address: string;
  port: number;
  /** Default 1. */
  weight?: number;
  /** Default `healthy`. Only `healthy` and `unknown` endpoints receive traffic (Envoy semantics). */
  health?: EndpointHealth;
  locality?: { region?: string; zone?: string; subzone?: string };
  /** Pod labels (e.g. `version`), for dumps and metrics. */
  labels?: Record<string, string>;
  /** Workload identity expected at this endpoint, if known (dumps only; verification uses the cluster's expectedSans). */
  serviceAccount?: string;
}

// ───────────────────────────── RBAC ─────────────────────────────

/**
 * Authorization, Envoy/Istio semantics: if any DENY policy matches → denied; else if there is at
 * least one ALLOW policy and none matches → denied; else allowed. A policy matches when any of its
 * rules matches; a rule matches when every field it sets matches (a field matches when any value
 * does, a `not…` field when none does). A policy with no rules matches nothing.
 */
export interface RbacConfig {
  policies: RbacPolicy[];
}

export interface RbacPolicy {
  name: string;
  action: 'ALLOW' | 'DENY';
  rules: RbacRule[];
}

export interface RbacRule {
  /** Peer SPIFFE ids without the `spiffe://` prefix, Istio style: `cluster.local/ns/foo/sa/bar`; `*` wildcards at either end. */
  principals?: string[];
  notPrincipals?: string[];
  /** Peer namespaces (from the peer's SPIFFE id). */
  namespaces?: string[];
  notNamespaces?: string[];
  /** Request paths; `*` wildcard at either end (`/api/*`, `*.png`, `*`). Never match on TCP. */
  paths?: string[];
  notPaths?: string[];
  /** HTTP methods. Never match on TCP. */
  methods?: string[];
  notMethods?: string[];
  /** Destination ports. */
  ports?: number[];
  notPorts?: number[];
}
