/**
 * The one place that turns untrusted input (a JSON file, an xDS translation) into a `ProxyConfig`:
 * checks types and ranges, fills Envoy's defaults, and checks that every reference resolves.
 * Errors name the exact field (`listeners[1].filterChains[0].filter.rds`) so a NACK is actionable.
 */
import type * as M from './model';
import { RetryOnTokens } from '../core/resilience/retry';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Obj = Record<string, unknown>;

function fail(path: string, msg: string): never {
  throw new ConfigError(`${path}: ${msg}`);
}
function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Obj;
}
function arr(v: unknown, path: string, optional = false): unknown[] {
  if (v === undefined && optional) return [];
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') fail(path, 'expected a non-empty string');
  return v;
}
function optStr(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}
function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `expected an integer in [${min}, ${max}]`);
  return v;
}
function optInt(v: unknown, path: string, min: number, max: number, dflt?: number): number | undefined {
  return v === undefined ? dflt : int(v, path, min, max);
}
function bool(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(path, 'expected true or false');
  return v;
}
function oneOf<T extends string>(v: unknown, path: string, values: readonly T[], dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !values.includes(v as T)) fail(path, `expected one of ${values.join(', ')}`);
  return v as T;
}
function strList(v: unknown, path: string): string[] | undefined {
  if (v === undefined) return undefined;
  return arr(v, path).map((s, i) => str(s, `${path}[${i}]`));
}
function regex(v: unknown, path: string): string {
  const s = str(v, path);
  try {
    new RegExp(s);
  } catch (err) {
    fail(path, `invalid regular expression: ${(err as Error).message}`);
  }
  return s;
}
function exactlyOne(o: Obj, path: string, keys: readonly string[]): string {
  const set = keys.filter((k) => o[k] !== undefined);
  if (set.length !== 1) fail(path, `set exactly one of ${keys.join(', ')} (found ${set.length === 0 ? 'none' : set.join(', ')})`);
  return set[0]!;
}
function unique(names: string[], path: string, what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) fail(path, `duplicate ${what} "${n}"`);
    seen.add(n);
  }
}
const MaxMs = 365 * 86_400_000;
const port = (v: unknown, p: string): number => int(v, p, 1, 65535);

function headerOptions(v: unknown, path: string): M.HeaderValueOption[] | undefined {
  if (v === undefined) return undefined;
  return arr(v, path).map((h, i) => {
    const o = obj(h, `${path}[${i}]`);
    const name = str(o.name, `${path}[${i}].name`).toLowerCase();
    if (name.startsWith(':') && name !== ':authority') fail(`${path}[${i}].name`, 'pseudo-headers other than :authority cannot be set');
    if (typeof o.value !== 'string') fail(`${path}[${i}].value`, 'expected a string');
    return { name, value: o.value, action: oneOf(o.action, `${path}[${i}].action`, ['append', 'overwrite'] as const, 'append') };
  });
}
function headerNames(v: unknown, path: string): string[] | undefined {
  return strList(v, path)?.map((s) => s.toLowerCase());
}
function headerMutations(o: Obj, path: string): Pick<M.Route, 'requestHeadersToAdd' | 'requestHeadersToRemove' | 'responseHeadersToAdd' | 'responseHeadersToRemove'> {
  return {
    requestHeadersToAdd: headerOptions(o.requestHeadersToAdd, `${path}.requestHeadersToAdd`),
    requestHeadersToRemove: headerNames(o.requestHeadersToRemove, `${path}.requestHeadersToRemove`),
    responseHeadersToAdd: headerOptions(o.responseHeadersToAdd, `${path}.responseHeadersToAdd`),
    responseHeadersToRemove: headerNames(o.responseHeadersToRemove, `${path}.responseHeadersToRemove`),
  };
}

function weightedClusters(v: unknown, path: string): M.WeightedCluster[] {
  const list = arr(v, path).map((w, i) => {
    const o = obj(w, `${path}[${i}]`);
    return { name: str(o.name, `${path}[${i}].name`), weight: int(o.weight, `${path}[${i}].weight`, 0, 1_000_000), ...headerMutations(o, `${path}[${i}]`) };
  });
  if (list.length === 0) fail(path, 'needs at least one cluster');
  if (list.every((w) => w.weight === 0)) fail(path, 'weights sum to 0');
  return list;
}

function fault(v: unknown, path: string): M.FaultPolicy {
  const o = obj(v, path);
  const out: M.FaultPolicy = {};
  if (o.delay !== undefined) {
    const d = obj(o.delay, `${path}.delay`);
    out.delay = { fixedDelayMs: int(d.fixedDelayMs, `${path}.delay.fixedDelayMs`, 0, MaxMs), percent: percent(d.percent, `${path}.delay.percent`) };
  }
  if (o.abort !== undefined) {
    const a = obj(o.abort, `${path}.abort`);
    exactlyOne(a, `${path}.abort`, ['httpStatus', 'grpcStatus']);
    out.abort = {
      httpStatus: optInt(a.httpStatus, `${path}.abort.httpStatus`, 200, 599),
      grpcStatus: optInt(a.grpcStatus, `${path}.abort.grpcStatus`, 0, 16),
      percent: percent(a.percent, `${path}.abort.percent`),
    };
  }
  return out;
}
function percent(v: unknown, path: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 100)) fail(path, 'expected a percentage in [0, 100]');
  return v;
}

function rbac(v: unknown, path: string): M.RbacConfig {
  const o = obj(v, path);
  const policies = arr(o.policies, `${path}.policies`).map((p, i): M.RbacPolicy => {
    const pp = `${path}.policies[${i}]`;
    const po = obj(p, pp);
    return {
      name: str(po.name, `${pp}.name`),
      action: oneOf(po.action, `${pp}.action`, ['ALLOW', 'DENY'] as const),
      rules: arr(po.rules, `${pp}.rules`).map((r, j) => rbacRule(r, `${pp}.rules[${j}]`)),
    };
  });
  unique(policies.map((p) => p.name), `${path}.policies`, 'policy');
  return { policies };
}
function rbacRule(v: unknown, path: string): M.RbacRule {
  const o = obj(v, path);
  const known = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'paths', 'notPaths', 'methods', 'notMethods', 'ports', 'notPorts'];
  for (const k of Object.keys(o)) if (!known.includes(k)) fail(`${path}.${k}`, `unknown RBAC field (supported: ${known.join(', ')})`);
  const ports = (k: string): number[] | undefined => (o[k] === undefined ? undefined : arr(o[k], `${path}.${k}`).map((x, i) => port(x, `${path}.${k}[${i}]`)));
  return {
    principals: strList(o.principals, `${path}.principals`),
    notPrincipals: strList(o.notPrincipals, `${path}.notPrincipals`),
    namespaces: strList(o.namespaces, `${path}.namespaces`),
    notNamespaces: strList(o.notNamespaces, `${path}.notNamespaces`),
    paths: strList(o.paths, `${path}.paths`),
    notPaths: strList(o.notPaths, `${path}.notPaths`),
    methods: strList(o.methods, `${path}.methods`)?.map((m) => m.toUpperCase()),
    notMethods: strList(o.notMethods, `${path}.notMethods`)?.map((m) => m.toUpperCase()),
    ports: ports('ports'),
    notPorts: ports('notPorts'),
  };
}

function routeConfig(v: unknown, path: string): M.RouteConfiguration {
  const o = obj(v, path);
  const virtualHosts = arr(o.virtualHosts, `${path}.virtualHosts`).map((vh, i) => virtualHost(vh, `${path}.virtualHosts[${i}]`));
  unique(virtualHosts.map((h) => h.name), `${path}.virtualHosts`, 'virtual host');
  unique(virtualHosts.flatMap((h) => h.domains.map((d) => d.toLowerCase())), `${path}.virtualHosts`, 'domain');
  return { name: str(o.name, `${path}.name`), virtualHosts, ...headerMutations(o, path) };
}
function virtualHost(v: unknown, path: string): M.VirtualHost {
  const o = obj(v, path);
  const domains = strList(o.domains, `${path}.domains`) ?? [];
  if (domains.length === 0) fail(`${path}.domains`, 'needs at least one domain (use "*" for any)');
  domains.forEach((d, i) => {
    if (d !== '*' && d.slice(1, -1).includes('*')) fail(`${path}.domains[${i}]`, 'a wildcard may only be the first or last character');
  });
  return {
    name: str(o.name, `${path}.name`),
    domains,
    routes: arr(o.routes, `${path}.routes`).map((r, i) => route(r, `${path}.routes[${i}]`)),
    ...headerMutations(o, path),
  };
}
function route(v: unknown, path: string): M.Route {
  const o = obj(v, path);
  const m = obj(o.match ?? {}, `${path}.match`);
  const match: M.RouteMatch = { caseSensitive: bool(m.caseSensitive, `${path}.match.caseSensitive`, true) };
  if (m.path !== undefined) {
    const p = obj(m.path, `${path}.match.path`);
    const k = exactlyOne(p, `${path}.match.path`, ['exact', 'prefix', 'regex']);
    const value = k === 'regex' ? regex(p.regex, `${path}.match.path.regex`) : str(p[k], `${path}.match.path.${k}`);
    if (k !== 'regex' && !value.startsWith('/')) fail(`${path}.match.path.${k}`, 'must start with "/"');
    match.path = { [k]: value } as M.PathMatch;
  }
  if (m.headers !== undefined) {
    match.headers = arr(m.headers, `${path}.match.headers`).map((h, i) => {
      const hp = `${path}.match.headers[${i}]`;
      const ho = obj(h, hp);
      const k = exactlyOne(ho, hp, ['exact', 'prefix', 'suffix', 'regex', 'present']);
      const out: M.HeaderMatcher = { name: str(ho.name, `${hp}.name`).toLowerCase(), invert: bool(ho.invert, `${hp}.invert`, false) };
      if (k === 'present') out.present = bool(ho.present, `${hp}.present`, true);
      else if (k === 'regex') out.regex = regex(ho.regex, `${hp}.regex`);
      else if (typeof ho[k] !== 'string') fail(`${hp}.${k}`, 'expected a string');
      else (out as unknown as Record<string, string>)[k] = ho[k];
      return out;
    });
  }
  if (m.queryParameters !== undefined) {
    match.queryParameters = arr(m.queryParameters, `${path}.match.queryParameters`).map((q, i) => {
      const qp = `${path}.match.queryParameters[${i}]`;
      const qo = obj(q, qp);
      const k = exactlyOne(qo, qp, ['exact', 'regex', 'present']);
      const out: M.QueryParameterMatcher = { name: str(qo.name, `${qp}.name`) };
      if (k === 'present') out.present = bool(qo.present, `${qp}.present`, true);
      else if (k === 'regex') out.regex = regex(qo.regex, `${qp}.regex`);
      else if (typeof qo.exact !== 'string') fail(`${qp}.exact`, 'expected a string');
      else out.exact = qo.exact;
      return out;
    });
  }
  const a = obj(o.action, `${path}.action`);
  const ap = `${path}.action`;
  let action: M.Route['action'];
  switch (oneOf(a.kind, `${ap}.kind`, ['route', 'redirect', 'direct'] as const)) {
    case 'route': {
      const k = exactlyOne(a, ap, ['cluster', 'weightedClusters']);
      const ra: M.RouteAction = { kind: 'route' };
      if (k === 'cluster') ra.cluster = str(a.cluster, `${ap}.cluster`);
      else ra.weightedClusters = weightedClusters(a.weightedClusters, `${ap}.weightedClusters`);
      if (a.prefixRewrite !== undefined && a.pathRewrite !== undefined) fail(ap, 'set at most one of prefixRewrite, pathRewrite');
      if (a.prefixRewrite !== undefined) {
        if (!match.path || !('prefix' in match.path)) fail(`${ap}.prefixRewrite`, 'needs a prefix path match');
        if (typeof a.prefixRewrite !== 'string') fail(`${ap}.prefixRewrite`, 'expected a string');
        ra.prefixRewrite = a.prefixRewrite;
      }
      ra.pathRewrite = optStr(a.pathRewrite, `${ap}.pathRewrite`);
      ra.hostRewrite = optStr(a.hostRewrite, `${ap}.hostRewrite`);
      ra.timeoutMs = optInt(a.timeoutMs, `${ap}.timeoutMs`, 0, MaxMs, 0);
      if (a.retryPolicy !== undefined) {
        const r = obj(a.retryPolicy, `${ap}.retryPolicy`);
        ra.retryPolicy = {
          retryOn: strList(r.retryOn, `${ap}.retryPolicy.retryOn`) ?? [],
          numRetries: int(r.numRetries, `${ap}.retryPolicy.numRetries`, 0, 100),
          perTryTimeoutMs: optInt(r.perTryTimeoutMs, `${ap}.retryPolicy.perTryTimeoutMs`, 0, MaxMs),
          retriableStatusCodes: r.retriableStatusCodes === undefined ? undefined : arr(r.retriableStatusCodes, `${ap}.retryPolicy.retriableStatusCodes`).map((c, i) => int(c, `${ap}.retryPolicy.retriableStatusCodes[${i}]`, 100, 599)),
          backoffBaseMs: optInt(r.backoffBaseMs, `${ap}.retryPolicy.backoffBaseMs`, 1, MaxMs, 25),
        };
        const base = ra.retryPolicy.backoffBaseMs ?? 25;
        ra.retryPolicy.backoffMaxMs = optInt(r.backoffMaxMs, `${ap}.retryPolicy.backoffMaxMs`, base, MaxMs, base * 10);
        const unknownOn = ra.retryPolicy.retryOn.filter((t) => !RetryOnTokens.has(t));
        if (unknownOn.length) fail(`${ap}.retryPolicy.retryOn`, `unknown retry condition(s) ${unknownOn.join(', ')} (known: ${[...RetryOnTokens].join(', ')})`);
      }
      if (a.mirrorPolicies !== undefined) {
        ra.mirrorPolicies = arr(a.mirrorPolicies, `${ap}.mirrorPolicies`).map((mp, i) => {
          const mo = obj(mp, `${ap}.mirrorPolicies[${i}]`);
          return { cluster: str(mo.cluster, `${ap}.mirrorPolicies[${i}].cluster`), percent: mo.percent === undefined ? 100 : percent(mo.percent, `${ap}.mirrorPolicies[${i}].percent`) };
        });
      }
      if (a.hashPolicy !== undefined) ra.hashPolicy = arr(a.hashPolicy, `${ap}.hashPolicy`).map((h, i) => hashPolicy(h, `${ap}.hashPolicy[${i}]`));
      action = ra;
      break;
    }
    case 'redirect':
      action = {
        kind: 'redirect',
        scheme: a.scheme === undefined ? undefined : oneOf(a.scheme, `${ap}.scheme`, ['http', 'https'] as const),
        host: optStr(a.host, `${ap}.host`),
        port: a.port === undefined ? undefined : port(a.port, `${ap}.port`),
        path: optStr(a.path, `${ap}.path`),
        prefixRewrite: a.prefixRewrite === undefined ? undefined : String(a.prefixRewrite),
        responseCode: (a.responseCode === undefined ? 301 : [301, 302, 303, 307, 308].includes(a.responseCode as number) ? a.responseCode : fail(`${ap}.responseCode`, 'expected 301, 302, 303, 307 or 308')) as M.RedirectAction['responseCode'],
        stripQuery: bool(a.stripQuery, `${ap}.stripQuery`, false),
      };
      break;
    case 'direct':
      if (a.body !== undefined && typeof a.body !== 'string') fail(`${ap}.body`, 'expected a string');
      action = { kind: 'direct', status: int(a.status, `${ap}.status`, 200, 599), body: a.body as string | undefined };
      break;
  }
  return {
    name: optStr(o.name, `${path}.name`),
    match,
    action,
    fault: o.fault === undefined ? undefined : fault(o.fault, `${path}.fault`),
    ...headerMutations(o, path),
  };
}
function hashPolicy(v: unknown, path: string): M.HashPolicy {
  const o = obj(v, path);
  const k = exactlyOne(o, path, ['header', 'cookie', 'sourceIp']);
  const terminal = bool(o.terminal, `${path}.terminal`, false);
  if (k === 'header') return { header: str(o.header, `${path}.header`).toLowerCase(), terminal };
  if (k === 'sourceIp') {
    if (o.sourceIp !== true) fail(`${path}.sourceIp`, 'expected true');
    return { sourceIp: true, terminal };
  }
  const c = obj(o.cookie, `${path}.cookie`);
  return { cookie: { name: str(c.name, `${path}.cookie.name`), path: optStr(c.path, `${path}.cookie.path`), ttlMs: optInt(c.ttlMs, `${path}.cookie.ttlMs`, 0, MaxMs) }, terminal };
}

function endpoint(v: unknown, path: string): M.LbEndpoint {
  const o = obj(v, path);
  const labels = o.labels === undefined ? undefined : obj(o.labels, `${path}.labels`);
  if (labels) for (const [k, val] of Object.entries(labels)) if (typeof val !== 'string') fail(`${path}.labels.${k}`, 'expected a string');
  const loc = o.locality === undefined ? undefined : obj(o.locality, `${path}.locality`);
  return {
    address: str(o.address, `${path}.address`),
    port: port(o.port, `${path}.port`),
    weight: optInt(o.weight, `${path}.weight`, 1, 1_000_000, 1),
    health: oneOf(o.health, `${path}.health`, ['healthy', 'unhealthy', 'draining', 'unknown'] as const, 'healthy'),
    locality: loc && { region: optStr(loc.region, `${path}.locality.region`), zone: optStr(loc.zone, `${path}.locality.zone`), subzone: optStr(loc.subzone, `${path}.locality.subzone`) },
    labels: labels as Record<string, string> | undefined,
    serviceAccount: optStr(o.serviceAccount, `${path}.serviceAccount`),
  };
}

function cluster(v: unknown, path: string): M.Cluster {
  const o = obj(v, path);
  const type = oneOf(o.type, `${path}.type`, ['eds', 'static', 'original-dst'] as const);
  let transport: M.UpstreamTransport = { kind: 'plaintext' };
  if (o.transport !== undefined) {
    const t = obj(o.transport, `${path}.transport`);
    if (oneOf(t.kind, `${path}.transport.kind`, ['plaintext', 'mtls'] as const) === 'mtls') {
      const sans = strList(t.expectedSans, `${path}.transport.expectedSans`) ?? [];
      if (sans.length === 0) fail(`${path}.transport.expectedSans`, 'mTLS needs at least one expected SPIFFE id (an empty list would trust any workload)');
      transport = {
        kind: 'mtls',
        certificateSecret: oneOf(t.certificateSecret, `${path}.transport.certificateSecret`, ['default'] as const, 'default'),
        validationSecret: oneOf(t.validationSecret, `${path}.transport.validationSecret`, ['ROOTCA'] as const, 'ROOTCA'),
        expectedSans: sans,
        sni: optStr(t.sni, `${path}.transport.sni`),
      };
    }
  }
  if (type !== 'static' && o.endpoints !== undefined) fail(`${path}.endpoints`, `only static clusters carry inline endpoints (this one is ${type})`);
  const cb = o.circuitBreakers === undefined ? {} : obj(o.circuitBreakers, `${path}.circuitBreakers`);
  const od = o.outlierDetection === undefined ? undefined : obj(o.outlierDetection, `${path}.outlierDetection`);
  const big = 1 << 30;
  return {
    name: str(o.name, `${path}.name`),
    type,
    lbPolicy: oneOf(o.lbPolicy, `${path}.lbPolicy`, ['round-robin', 'least-request', 'random', 'ring-hash'] as const, 'round-robin'),
    ringSize: optInt(o.ringSize, `${path}.ringSize`, 1, 8_388_608, 1024),
    connectTimeoutMs: optInt(o.connectTimeoutMs, `${path}.connectTimeoutMs`, 1, MaxMs, 10_000),
    transport,
    protocol: oneOf(o.protocol, `${path}.protocol`, ['http1', 'http2', 'auto'] as const, 'http1'),
    maxRequestsPerConnection: optInt(o.maxRequestsPerConnection, `${path}.maxRequestsPerConnection`, 1, big),
    upstreamIdleTimeoutMs: optInt(o.upstreamIdleTimeoutMs, `${path}.upstreamIdleTimeoutMs`, 1, MaxMs, 60_000),
    circuitBreakers: {
      maxConnections: optInt(cb.maxConnections, `${path}.circuitBreakers.maxConnections`, 1, big, 1024),
      maxPendingRequests: optInt(cb.maxPendingRequests, `${path}.circuitBreakers.maxPendingRequests`, 1, big, 1024),
      maxRequests: optInt(cb.maxRequests, `${path}.circuitBreakers.maxRequests`, 1, big, 1024),
      maxRetries: optInt(cb.maxRetries, `${path}.circuitBreakers.maxRetries`, 0, big, 3),
      retryBudget: cb.retryBudget === undefined ? undefined : retryBudget(obj(cb.retryBudget, `${path}.circuitBreakers.retryBudget`), `${path}.circuitBreakers.retryBudget`),
    },
    outlierDetection: od && {
      consecutive5xx: optInt(od.consecutive5xx, `${path}.outlierDetection.consecutive5xx`, 0, big, 5),
      consecutiveGatewayErrors: optInt(od.consecutiveGatewayErrors, `${path}.outlierDetection.consecutiveGatewayErrors`, 0, big, 0),
      intervalMs: optInt(od.intervalMs, `${path}.outlierDetection.intervalMs`, 1, MaxMs, 10_000),
      baseEjectionTimeMs: optInt(od.baseEjectionTimeMs, `${path}.outlierDetection.baseEjectionTimeMs`, 1, MaxMs, 30_000),
      maxEjectionTimeMs: optInt(od.maxEjectionTimeMs, `${path}.outlierDetection.maxEjectionTimeMs`, 1, MaxMs, 300_000),
      maxEjectionPercent: optInt(od.maxEjectionPercent, `${path}.outlierDetection.maxEjectionPercent`, 0, 100, 10),
    },
    panicThresholdPercent: optInt(o.panicThresholdPercent, `${path}.panicThresholdPercent`, 0, 100, 50),
    healthCheck: o.healthCheck === undefined ? undefined : healthCheck(obj(o.healthCheck, `${path}.healthCheck`), `${path}.healthCheck`),
    endpoints: type === 'static' ? arr(o.endpoints, `${path}.endpoints`).map((e, i) => endpoint(e, `${path}.endpoints[${i}]`)) : undefined,
  };
}

function healthCheck(o: Obj, path: string): M.HealthCheck {
  const p = str(o.path, `${path}.path`);
  if (!p.startsWith('/')) fail(`${path}.path`, 'must start with "/"');
  return {
    path: p,
    intervalMs: int(o.intervalMs, `${path}.intervalMs`, 1, MaxMs),
    timeoutMs: int(o.timeoutMs, `${path}.timeoutMs`, 1, MaxMs),
    unhealthyThreshold: int(o.unhealthyThreshold, `${path}.unhealthyThreshold`, 1, 1000),
    healthyThreshold: int(o.healthyThreshold, `${path}.healthyThreshold`, 1, 1000),
  };
}

function retryBudget(o: Obj, path: string): { budgetPercent: number; minRetryConcurrency: number } {
  return {
    budgetPercent: optInt(o.budgetPercent, `${path}.budgetPercent`, 0, 100, 20)!,
    minRetryConcurrency: optInt(o.minRetryConcurrency, `${path}.minRetryConcurrency`, 0, 1 << 30, 3)!,
  };
}

function tcpProxy(o: Obj, path: string): M.TcpProxy {
  const k = exactlyOne(o, path, ['cluster', 'weightedClusters', 'passthrough']);
  if (k === 'passthrough' && o.passthrough !== true) fail(`${path}.passthrough`, 'expected true');
  return {
    type: 'tcp',
    statPrefix: str(o.statPrefix, `${path}.statPrefix`),
    cluster: k === 'cluster' ? str(o.cluster, `${path}.cluster`) : undefined,
    weightedClusters: k === 'weightedClusters' ? weightedClusters(o.weightedClusters, `${path}.weightedClusters`) : undefined,
    passthrough: k === 'passthrough' ? true : undefined,
    rbac: o.rbac === undefined ? undefined : rbac(o.rbac, `${path}.rbac`),
    idleTimeoutMs: optInt(o.idleTimeoutMs, `${path}.idleTimeoutMs`, 1, MaxMs, 3_600_000),
  };
}
function httpFilter(v: unknown, path: string): M.HttpFilter {
  const o = obj(v, path);
  switch (oneOf(o.type, `${path}.type`, ['fault', 'rbac', 'local-rate-limit', 'router'] as const)) {
    case 'fault':
      return { type: 'fault', fault: fault(o.fault, `${path}.fault`) };
    case 'rbac':
      return { type: 'rbac', rbac: rbac(o.rbac, `${path}.rbac`) };
    case 'local-rate-limit': {
      const r = obj(o.rateLimit, `${path}.rateLimit`);
      return {
        type: 'local-rate-limit',
        rateLimit: {
          maxTokens: int(r.maxTokens, `${path}.rateLimit.maxTokens`, 1, 1 << 30),
          tokensPerFill: int(r.tokensPerFill, `${path}.rateLimit.tokensPerFill`, 1, 1 << 30),
          fillIntervalMs: int(r.fillIntervalMs, `${path}.rateLimit.fillIntervalMs`, 1, MaxMs),
        },
      };
    }
    case 'router':
      return { type: 'router' };
  }
}
function httpConnectionManager(o: Obj, path: string): M.HttpConnectionManager {
  const k = exactlyOne(o, path, ['rds', 'routeConfig']);
  const filters = o.httpFilters === undefined ? [{ type: 'router' as const }] : arr(o.httpFilters, `${path}.httpFilters`).map((f, i) => httpFilter(f, `${path}.httpFilters[${i}]`));
  filters.forEach((f, i) => {
    if ((f.type === 'router') !== (i === filters.length - 1)) fail(`${path}.httpFilters`, 'the router filter must be present exactly once, last');
  });
  return {
    type: 'http',
    statPrefix: str(o.statPrefix, `${path}.statPrefix`),
    codec: oneOf(o.codec, `${path}.codec`, ['auto', 'http1', 'http2'] as const, 'auto'),
    rds: k === 'rds' ? str(o.rds, `${path}.rds`) : undefined,
    routeConfig: k === 'routeConfig' ? routeConfig(o.routeConfig, `${path}.routeConfig`) : undefined,
    httpFilters: filters,
    forwardClientCert: oneOf(o.forwardClientCert, `${path}.forwardClientCert`, ['sanitize', 'sanitize-set', 'forward-only', 'append-forward'] as const, 'sanitize-set'),
    maxRequestHeadersBytes: optInt(o.maxRequestHeadersBytes, `${path}.maxRequestHeadersBytes`, 1024, 1 << 20, 60 * 1024),
    requestHeadersTimeoutMs: optInt(o.requestHeadersTimeoutMs, `${path}.requestHeadersTimeoutMs`, 1, MaxMs, 10_000),
    idleTimeoutMs: optInt(o.idleTimeoutMs, `${path}.idleTimeoutMs`, 1, MaxMs, 300_000),
    serverName: optStr(o.serverName, `${path}.serverName`),
  };
}
function filterChain(v: unknown, path: string, kind: M.ListenerKind): M.FilterChain {
  const o = obj(v, path);
  const m = obj(o.match ?? {}, `${path}.match`);
  const match: M.FilterChainMatch = {
    destinationAddresses: strList(m.destinationAddresses, `${path}.match.destinationAddresses`),
    destinationPort: m.destinationPort === undefined ? undefined : port(m.destinationPort, `${path}.match.destinationPort`),
    transport: m.transport === undefined ? undefined : oneOf(m.transport, `${path}.match.transport`, ['tls', 'plaintext'] as const),
    applicationProtocol: m.applicationProtocol === undefined ? undefined : oneOf(m.applicationProtocol, `${path}.match.applicationProtocol`, ['http', 'tcp'] as const),
  };
  if (match.destinationAddresses && kind === 'inbound') fail(`${path}.match.destinationAddresses`, 'inbound chains match on destination port only');
  let tls: M.DownstreamTls | undefined;
  if (o.tls !== undefined) {
    if (match.transport !== 'tls') fail(`${path}.tls`, 'TLS termination needs match.transport "tls"');
    const t = obj(o.tls, `${path}.tls`);
    tls = {
      certificateSecret: oneOf(t.certificateSecret, `${path}.tls.certificateSecret`, ['default'] as const, 'default'),
      validationSecret: oneOf(t.validationSecret, `${path}.tls.validationSecret`, ['ROOTCA'] as const, 'ROOTCA'),
      requireClientCertificate: bool(t.requireClientCertificate, `${path}.tls.requireClientCertificate`, true),
      allowedPeerSans: strList(t.allowedPeerSans, `${path}.tls.allowedPeerSans`),
      alpnProtocols: strList(t.alpnProtocols, `${path}.tls.alpnProtocols`) ?? ['h2', 'http/1.1'],
    };
  } else if (match.transport === 'tls' && kind === 'inbound') {
    fail(`${path}.tls`, 'an inbound chain matching TLS must terminate it (tls is required)');
  }
  const f = obj(o.filter, `${path}.filter`);
  const type = oneOf(f.type, `${path}.filter.type`, ['http', 'tcp'] as const);
  return { name: str(o.name, `${path}.name`), match, tls, filter: type === 'http' ? httpConnectionManager(f, `${path}.filter`) : tcpProxy(f, `${path}.filter`) };
}
function listener(v: unknown, path: string): M.Listener {
  const o = obj(v, path);
  const kind = oneOf(o.kind, `${path}.kind`, ['outbound-transparent', 'inbound', 'outbound-explicit'] as const);
  const chains = arr(o.filterChains, `${path}.filterChains`).map((c, i) => filterChain(c, `${path}.filterChains[${i}]`, kind));
  unique(chains.map((c) => c.name), `${path}.filterChains`, 'filter chain');
  const destinationPort = o.destinationPort === undefined ? undefined : port(o.destinationPort, `${path}.destinationPort`);
  if (kind === 'outbound-explicit' && destinationPort === undefined) fail(`${path}.destinationPort`, 'an explicit outbound listener must say which service port it stands for');
  return {
    name: str(o.name, `${path}.name`),
    address: str(o.address, `${path}.address`),
    port: int(o.port, `${path}.port`, 0, 65535),
    kind,
    destinationPort,
    filterChains: chains,
    defaultChain: o.defaultChain === undefined ? undefined : filterChain(o.defaultChain, `${path}.defaultChain`, kind),
  };
}

/** Validates and completes a snapshot; throws ConfigError naming the first bad field. */
export function validateConfig(input: unknown): M.ProxyConfig {
  const o = obj(input, 'config');
  const node = obj(o.node, 'node');
  const cfg: M.ProxyConfig = {
    version: str(o.version, 'version'),
    node: { id: str(node.id, 'node.id'), workload: optStr(node.workload, 'node.workload'), namespace: optStr(node.namespace, 'node.namespace'), version: optStr(node.version, 'node.version') },
    listeners: arr(o.listeners, 'listeners').map((l, i) => listener(l, `listeners[${i}]`)),
    routeConfigs: arr(o.routeConfigs, 'routeConfigs', true).map((r, i) => routeConfig(r, `routeConfigs[${i}]`)),
    clusters: arr(o.clusters, 'clusters', true).map((c, i) => cluster(c, `clusters[${i}]`)),
    endpoints: arr(o.endpoints, 'endpoints', true).map((e, i) => {
      const eo = obj(e, `endpoints[${i}]`);
      return { clusterName: str(eo.clusterName, `endpoints[${i}].clusterName`), endpoints: arr(eo.endpoints, `endpoints[${i}].endpoints`).map((x, j) => endpoint(x, `endpoints[${i}].endpoints[${j}]`)) };
    }),
  };
  checkReferences(cfg);
  return cfg;
}

/** Every name referenced is present (DESIGN.md §3: a snapshot is consistent before it is set). */
function checkReferences(cfg: M.ProxyConfig): void {
  unique(cfg.listeners.map((l) => l.name), 'listeners', 'listener');
  unique(cfg.listeners.filter((l) => l.port !== 0).map((l) => `${l.address}:${l.port}`), 'listeners', 'address:port');
  unique(cfg.routeConfigs.map((r) => r.name), 'routeConfigs', 'route configuration');
  unique(cfg.clusters.map((c) => c.name), 'clusters', 'cluster');
  unique(cfg.endpoints.map((e) => e.clusterName), 'endpoints', 'load assignment for cluster');
  const clusters = new Map(cfg.clusters.map((c) => [c.name, c]));
  const routeNames = new Set(cfg.routeConfigs.map((r) => r.name));
  const needCluster = (name: string, path: string): void => {
    if (!clusters.has(name)) fail(path, `unknown cluster "${name}"`);
  };
  const checkRoutes = (rc: M.RouteConfiguration, path: string): void =>
    rc.virtualHosts.forEach((vh, i) =>
      vh.routes.forEach((r, j) => {
        const p = `${path}.virtualHosts[${i}].routes[${j}].action`;
        if (r.action.kind !== 'route') return;
        if (r.action.cluster) needCluster(r.action.cluster, `${p}.cluster`);
        r.action.weightedClusters?.forEach((w, k) => needCluster(w.name, `${p}.weightedClusters[${k}].name`));
        r.action.mirrorPolicies?.forEach((m, k) => needCluster(m.cluster, `${p}.mirrorPolicies[${k}].cluster`));
      }),
    );
  cfg.routeConfigs.forEach((rc, i) => checkRoutes(rc, `routeConfigs[${i}]`));
  cfg.listeners.forEach((l, i) => {
    const chains = l.defaultChain ? [...l.filterChains, l.defaultChain] : l.filterChains;
    chains.forEach((c, j) => {
      const p = c === l.defaultChain ? `listeners[${i}].defaultChain.filter` : `listeners[${i}].filterChains[${j}].filter`;
      const f = c.filter;
      if (f.type === 'http') {
        if (f.rds !== undefined && !routeNames.has(f.rds)) fail(`${p}.rds`, `unknown route configuration "${f.rds}"`);
        if (f.routeConfig) checkRoutes(f.routeConfig, `${p}.routeConfig`);
      } else {
        if (f.cluster) needCluster(f.cluster, `${p}.cluster`);
        f.weightedClusters?.forEach((w, k) => needCluster(w.name, `${p}.weightedClusters[${k}].name`));
      }
    });
  });
  cfg.endpoints.forEach((e, i) => {
    const c = clusters.get(e.clusterName);
    if (!c) fail(`endpoints[${i}].clusterName`, `unknown cluster "${e.clusterName}"`);
    if (c.type !== 'eds') fail(`endpoints[${i}].clusterName`, `cluster "${e.clusterName}" is ${c.type}, not eds`);
  });
}
