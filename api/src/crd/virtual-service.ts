/** VirtualService (networking.skein.dev/v1alpha1): Istio's routing rules, the subset Skein honours. */
import { type Infer, type StringFormat, array, bool, enumOf, int, map, object, required, string, unsupported } from './schema/dsl';
import { Destination, ExportTo, Labels, Percent, Port, PresenceOrStringMatch, QueryParamMatch, StringMatch, weightsAddUpTo100 } from './common';
import { duration, headerName, headerValue, hostOrWildcard, ipBlock, matchHeaderName, nonEmpty } from './formats';

/** `gateways` values: Skein is a sidecar mesh without ingress/egress gateways. */
export const meshGateway: StringFormat = {
  name: 'gateway',
  check: (v) => (v === 'mesh' ? undefined : `only "mesh" is supported (Skein has no ingress or egress gateways), got "${v}"`),
  openApi: { pattern: '^mesh$' },
};
const Gateways = array(string({ format: meshGateway }), { description: 'Only "mesh" (the default when absent).' });

/** `retryOn` conditions Skein honours (Envoy's names); HTTP status codes may be listed too. */
export const RetryOnConditions = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export const retryOn: StringFormat = {
  name: 'retry conditions',
  check: (v) => {
    const items = v.split(',').map((s) => s.trim());
    for (const item of items) {
      if (/^[1-5][0-9][0-9]$/.test(item)) continue;
      if (!(RetryOnConditions as readonly string[]).includes(item)) {
        return `unknown retry condition "${item}"; use a comma-separated list of ${RetryOnConditions.join(', ')} or HTTP status codes`;
      }
    }
    return undefined;
  },
};

/** gRPC status names accepted by `fault.abort.grpcStatus` (Istio spells them in capitals). */
export const GrpcStatusNames = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

const authority: StringFormat = {
  name: 'authority',
  check: (v) => (/^[^\s/?#@]+$/.test(v) ? undefined : 'must be a host or host:port without scheme, path or spaces'),
  openApi: { minLength: 1 },
};
const uriPath: StringFormat = {
  name: 'URI path',
  check: (v) => (v.startsWith('/') && !/[\s]/.test(v) ? undefined : 'must be a path starting with "/" without spaces'),
};

export const HttpMatchRequest = object({
  name: string({ description: 'Name of the match, appended to the route name in logs.' }),
  uri: StringMatch,
  method: StringMatch,
  authority: StringMatch,
  headers: map(PresenceOrStringMatch, { keys: matchHeaderName, description: 'Lowercase header names; {} matches presence.' }),
  withoutHeaders: map(PresenceOrStringMatch, { keys: matchHeaderName, description: 'Matches when these headers do NOT match.' }),
  queryParams: map(QueryParamMatch, { keys: nonEmpty }),
  port: Port,
  sourceLabels: Labels,
  gateways: Gateways,
  ignoreUriCase: bool({ description: 'Match uri case-insensitively (exact and prefix).' }),
  scheme: unsupported('object', 'matching on the scheme'),
  sourceNamespace: unsupported('string', 'use sourceLabels'),
  statPrefix: unsupported('string'),
});

export const HttpRouteDestination = object({
  destination: required(Destination),
  weight: int({ min: 0, max: 100, description: 'Share of traffic; with several destinations the weights add up to 100.' }),
  headers: unsupported('object', 'per-destination header changes; set headers on the route'),
});

const HeaderOperations = object({
  set: map(string({ format: headerValue }), { keys: headerName }),
  add: map(string({ format: headerValue }), { keys: headerName }),
  remove: array(string({ format: headerName })),
});
export const Headers = object({ request: HeaderOperations, response: HeaderOperations });

export const HttpRetry = object({
  attempts: int({ description: 'Number of retries (0 disables retries).' }),
  perTryTimeout: string({ format: duration() }),
  retryOn: string({ format: retryOn, description: `Comma-separated: ${RetryOnConditions.join(', ')} or HTTP status codes.` }),
  retryRemoteLocalities: unsupported('boolean', 'Skein has no locality-aware load balancing'),
});

export const HttpFaultInjection = object(
  {
    delay: object({
      fixedDelay: required(string({ format: duration() })),
      percentage: Percent,
      percent: unsupported('integer', 'deprecated by Istio; use percentage.value'),
      exponentialDelay: unsupported('string'),
    }),
    abort: object(
      {
        httpStatus: int({ min: 200, max: 599 }),
        grpcStatus: enumOf(GrpcStatusNames),
        percentage: Percent,
        http2Error: unsupported('string'),
      },
      { exactlyOneOf: [['httpStatus', 'grpcStatus']] },
    ),
  },
  {
    checks: [
      (fault, report) => {
        if (!fault.delay && !fault.abort) report([], 'set delay, abort or both');
      },
    ],
  },
);

const RedirectCodes = [301, 302, 303, 307, 308];
export const HttpRedirect = object(
  {
    uri: string({ format: uriPath }),
    authority: string({ format: authority }),
    port: Port,
    scheme: enumOf(['http', 'https']),
    redirectCode: int({ min: 300, max: 399, description: 'One of 301, 302, 303, 307, 308 (default 301).' }),
    derivePort: unsupported('string', 'set port explicitly'),
  },
  {
    checks: [
      (r, report) => {
        if (r.redirectCode !== undefined && !RedirectCodes.includes(r.redirectCode)) report('redirectCode', `must be one of ${RedirectCodes.join(', ')}`);
        if (r.uri === undefined && r.authority === undefined && r.port === undefined && r.scheme === undefined) {
          report([], 'set at least one of uri, authority, port, scheme');
        }
      },
    ],
  },
);

export const HttpRewrite = object(
  {
    uri: string({ format: uriPath, description: 'Replaces the matched prefix (prefix match) or the whole path.' }),
    authority: string({ format: authority }),
    uriRegexRewrite: unsupported('object', 'use uri'),
  },
  {
    checks: [
      (r, report) => {
        if (r.uri === undefined && r.authority === undefined) report([], 'set uri, authority or both');
      },
    ],
  },
);

/** With a redirect there is no upstream request, so these would be silently ignored: refuse them. */
const notWithRedirect = ['rewrite', 'fault', 'mirror', 'mirrorPercentage', 'retries', 'timeout'] as const;

export const HttpRoute = object(
  {
    name: string(),
    match: array(HttpMatchRequest, { description: 'Any match selects the route (OR); fields within a match are ANDed.' }),
    route: array(HttpRouteDestination, { minItems: 1, checks: [weightsAddUpTo100] }),
    redirect: HttpRedirect,
    rewrite: HttpRewrite,
    timeout: string({ format: duration(), description: 'Whole-request timeout, e.g. 0.5s.' }),
    retries: HttpRetry,
    fault: HttpFaultInjection,
    mirror: Destination,
    mirrorPercentage: Percent,
    headers: Headers,
    directResponse: unsupported('object'),
    delegate: unsupported('object', 'VirtualService delegation'),
    corsPolicy: unsupported('object'),
    mirrors: unsupported('array', 'several mirrors; use mirror and mirrorPercentage'),
    mirrorPercent: unsupported('integer', 'deprecated by Istio; use mirrorPercentage.value'),
  },
  {
    exactlyOneOf: [['route', 'redirect']],
    checks: [
      (rule, report) => {
        if (rule.redirect) {
          for (const field of notWithRedirect) if (rule[field] !== undefined) report(field, 'cannot be combined with redirect');
        }
        if (rule.mirrorPercentage && !rule.mirror) report('mirrorPercentage', 'requires mirror');
      },
    ],
  },
);

export const L4MatchAttributes = object({
  destinationSubnets: array(string({ format: ipBlock })),
  port: Port,
  sourceLabels: Labels,
  gateways: Gateways,
  sourceNamespace: unsupported('string', 'use sourceLabels'),
  sourceSubnet: unsupported('string'),
});

export const RouteDestination = object({
  destination: required(Destination),
  weight: int({ min: 0, max: 100 }),
});

export const TcpRoute = object({
  match: array(L4MatchAttributes),
  route: required(array(RouteDestination, { minItems: 1, checks: [weightsAddUpTo100] })),
});

export const VirtualServiceSpec = object(
  {
    hosts: required(array(string({ format: hostOrWildcard }), { minItems: 1, description: 'Hosts these rules apply to (service names).' })),
    gateways: Gateways,
    exportTo: ExportTo,
    http: array(HttpRoute, { description: 'HTTP rules, first match wins.' }),
    tcp: array(TcpRoute, { description: 'Opaque TCP rules, first match wins.' }),
    tls: unsupported('array', 'TLS (SNI) routes; route that traffic with tcp rules matched by port'),
  },
  {
    checks: [
      (spec, report) => {
        if (!spec.http?.length && !spec.tcp?.length) report([], 'set http or tcp routes');
      },
    ],
  },
);

export type VirtualServiceSpec = Infer<typeof VirtualServiceSpec>;
export type HttpRoute = Infer<typeof HttpRoute>;
export type HttpMatchRequest = Infer<typeof HttpMatchRequest>;
export type TcpRoute = Infer<typeof TcpRoute>;
