/** VirtualService (networking.skein.dev/v1alpha1): Istio's routing rules, the subset Skein honours. */
import { type Infer, type StringFormat, array, doc, mapKey, bool, enumOf, int, map, object, required, string, unsupported, rule, titled } from './schema/dsl';
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
    for (const item of v.split(',')) {
      if (/\s/.test(item)) return `retry conditions are separated by "," without spaces (got "${v}")`;
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

export const HttpMatchRequest = titled('HTTPMatchRequest', object({
  name: string({ description: 'Name of the match, appended to the route name in logs.' }),
  uri: doc(StringMatch, 'Request path (without query).'),
  method: doc(StringMatch, 'HTTP method.'),
  authority: doc(StringMatch, 'Host / :authority header.'),
  headers: map(PresenceOrStringMatch, { keys: matchHeaderName, description: 'Lowercase header names; {} matches presence.' }),
  withoutHeaders: map(PresenceOrStringMatch, { keys: matchHeaderName, description: 'Matches when these headers do NOT match.' }),
  queryParams: map(QueryParamMatch, { keys: nonEmpty, description: 'Query parameters by name; {} matches presence.' }),
  port: doc(Port, 'Destination port of the request.'),
  sourceLabels: doc(Labels, 'Labels of the calling workload.'),
  gateways: Gateways,
  ignoreUriCase: bool({ description: 'Match uri case-insensitively (exact and prefix).' }),
  scheme: unsupported('object', 'matching on the scheme'),
  sourceNamespace: unsupported('string', 'use sourceLabels'),
  statPrefix: unsupported('string'),
}, {
  checks: [
    rule('prefix matches are not empty, except for uri (Envoy refuses an empty prefix there)', (m, report) => {
      for (const field of ['method', 'authority'] as const) if (m[field]?.prefix === '') report([field, 'prefix'], 'must not be empty');
      for (const field of ['headers', 'withoutHeaders'] as const) {
        for (const [name, match] of Object.entries(m[field] ?? {})) if (match.prefix === '') report([field, mapKey(name), 'prefix'], 'must not be empty');
      }
    }),
  ],
}));

export const HttpRouteDestination = titled('HTTPRouteDestination', object({
  destination: required(doc(Destination, 'Where the requests go.')),
  weight: int({ min: 0, max: 100, description: 'Share of traffic; with several destinations the weights add up to 100.' }),
  headers: unsupported('object', 'per-destination header changes; set headers on the route'),
}));

const HeaderOperations = titled('HeaderOperations', object({
  set: map(string({ format: headerValue }), { keys: headerName, description: 'Set (overwrite) these headers.' }),
  add: map(string({ format: headerValue }), { keys: headerName, description: 'Append these header values.' }),
  remove: array(string({ format: headerName }), { description: 'Remove these headers.' }),
}));
export const Headers = titled(
  'Headers',
  object({ request: doc(HeaderOperations, 'Changes to the request sent upstream.'), response: doc(HeaderOperations, 'Changes to the response sent back.') }),
);

export const HttpRetry = titled(
  'HTTPRetry',
  object(
    {
      attempts: int({ description: 'Number of retries; absent or 0 disables retries (Istio).' }),
      perTryTimeout: string({ format: duration(), description: 'Timeout of each attempt.' }),
      retryOn: string({ format: retryOn, description: `Comma-separated: ${RetryOnConditions.join(', ')} or HTTP status codes.` }),
      retryRemoteLocalities: unsupported('boolean', 'Skein has no locality-aware load balancing'),
      backoff: unsupported('string'),
    },
    {
      checks: [
        rule('perTryTimeout and retryOn need attempts > 0 (absent or 0 disables retries, as in Istio)', (r, report) => {
          if (r.attempts) return;
          for (const field of ['perTryTimeout', 'retryOn'] as const) {
            if (r[field] !== undefined) report(field, 'has no effect: attempts is absent or 0, which disables retries');
          }
        }),
      ],
    },
  ),
);

export const HttpFaultInjection = titled(
  'HTTPFaultInjection',
  object(
    {
      delay: object({
        fixedDelay: required(string({ format: duration(), description: 'Delay before forwarding.' })),
        percentage: doc(Percent, 'Share of requests delayed; absent: all.'),
        percent: unsupported('integer', 'deprecated by Istio; use percentage.value'),
        exponentialDelay: unsupported('string'),
      }),
      abort: object(
        {
          httpStatus: int({ min: 200, max: 599, description: 'HTTP status to answer with.' }),
          grpcStatus: enumOf(GrpcStatusNames, { description: 'gRPC status to answer with.' }),
          percentage: doc(Percent, 'Share of requests aborted; absent: all.'),
          http2Error: unsupported('string'),
        },
        { exactlyOneOf: [['httpStatus', 'grpcStatus']] },
      ),
    },
    {
      checks: [
        rule('sets delay, abort or both', (fault, report) => {
          if (!fault.delay && !fault.abort) report([], 'set delay, abort or both');
        }),
      ],
    },
  ),
);

const RedirectCodes = [301, 302, 303, 307, 308];
export const HttpRedirect = titled(
  'HTTPRedirect',
  object(
    {
      uri: string({ format: uriPath, description: 'Path of the redirect location.' }),
      authority: string({ format: authority, description: 'Host of the redirect location.' }),
      port: doc(Port, 'Port of the redirect location.'),
      scheme: enumOf(['http', 'https'], { description: 'Scheme of the redirect location.' }),
      redirectCode: int({ min: 300, max: 399, description: 'One of 301, 302, 303, 307, 308 (default 301).' }),
      derivePort: unsupported('string', 'set port explicitly'),
    },
    {
      checks: [
        rule(`redirectCode is one of ${RedirectCodes.join(', ')}`, (r, report) => {
          if (r.redirectCode !== undefined && !RedirectCodes.includes(r.redirectCode)) report('redirectCode', `must be one of ${RedirectCodes.join(', ')}`);
        }),
        rule('sets at least one of uri, authority, port, scheme', (r, report) => {
          if (r.uri === undefined && r.authority === undefined && r.port === undefined && r.scheme === undefined) {
            report([], 'set at least one of uri, authority, port, scheme');
          }
        }),
      ],
    },
  ),
);

export const HttpRewrite = titled(
  'HTTPRewrite',
  object(
    {
      uri: string({ format: uriPath, description: 'Replaces the matched prefix (prefix match) or the whole path.' }),
      authority: string({ format: authority, description: 'Replaces the Host / :authority header.' }),
      uriRegexRewrite: unsupported('object', 'use uri'),
    },
    {
      checks: [
        rule('sets uri, authority or both', (r, report) => {
          if (r.uri === undefined && r.authority === undefined) report([], 'set uri, authority or both');
        }),
      ],
    },
  ),
);

/** With a redirect there is no upstream request, so these would be silently ignored: refuse them. */
const notWithRedirect = ['rewrite', 'fault', 'mirror', 'mirrorPercentage', 'retries', 'timeout'] as const;

export const HttpRoute = titled(
  'HTTPRoute',
  object(
    {
      name: string({ description: 'Name of the rule, shown in logs and config dumps.' }),
      match: array(HttpMatchRequest, { description: 'Any match selects the rule (OR); fields within a match are ANDed. Absent: all requests.' }),
      route: array(HttpRouteDestination, { minItems: 1, checks: [weightsAddUpTo100], description: 'Weighted destinations of the requests.' }),
      redirect: doc(HttpRedirect, 'Answer with an HTTP redirect instead of routing.'),
      rewrite: doc(HttpRewrite, 'Rewrite path and/or authority before forwarding.'),
      timeout: string({ format: duration(), description: 'Whole-request timeout, e.g. 0.5s. Absent: no timeout.' }),
      retries: doc(HttpRetry, 'Retry policy.'),
      fault: doc(HttpFaultInjection, 'Inject delays and/or aborts (testing resilience).'),
      mirror: doc(Destination, 'Also send a copy of each request here (responses are ignored).'),
      mirrorPercentage: doc(Percent, 'Share of requests mirrored; absent: all.'),
      headers: doc(Headers, 'Header changes.'),
      directResponse: unsupported('object'),
      delegate: unsupported('object', 'VirtualService delegation'),
      corsPolicy: unsupported('object'),
      mirrors: unsupported('array', 'several mirrors; use mirror and mirrorPercentage'),
      mirrorPercent: unsupported('integer', 'deprecated by Istio; use mirrorPercentage.value'),
    },
    {
      exactlyOneOf: [['route', 'redirect']],
      checks: [
        rule(`with redirect, none of ${notWithRedirect.join(', ')} (they would be ignored)`, (r, report) => {
          if (r.redirect) for (const field of notWithRedirect) if (r[field] !== undefined) report(field, 'cannot be combined with redirect');
        }),
        rule('mirrorPercentage needs mirror', (r, report) => {
          if (r.mirrorPercentage && !r.mirror) report('mirrorPercentage', 'requires mirror');
        }),
      ],
    },
  ),
);

export const L4MatchAttributes = titled(
  'L4MatchAttributes',
  object({
    destinationSubnets: array(string({ format: ipBlock }), { description: 'Original destination IP in one of these (IP or CIDR).' }),
    port: doc(Port, 'Destination port of the connection.'),
    sourceLabels: doc(Labels, 'Labels of the calling workload.'),
    gateways: Gateways,
    sourceNamespace: unsupported('string', 'use sourceLabels'),
    sourceSubnet: unsupported('string'),
  }),
);

export const RouteDestination = titled(
  'RouteDestination',
  object({
    destination: required(doc(Destination, 'Where the connections go.')),
    weight: int({ min: 0, max: 100, description: 'Share of connections; with several destinations the weights add up to 100.' }),
  }),
);

export const TcpRoute = titled(
  'TCPRoute',
  object({
    match: array(L4MatchAttributes, { description: 'Any match selects the rule (OR). Absent: all connections.' }),
    route: required(array(RouteDestination, { minItems: 1, checks: [weightsAddUpTo100] })),
  }),
);

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
      rule('has http or tcp rules', (spec, report) => {
        if (!spec.http?.length && !spec.tcp?.length) report([], 'set http or tcp routes');
      }),
    ],
  },
);

export type VirtualServiceSpec = Infer<typeof VirtualServiceSpec>;
export type HttpRoute = Infer<typeof HttpRoute>;
export type HttpMatchRequest = Infer<typeof HttpMatchRequest>;
export type TcpRoute = Infer<typeof TcpRoute>;
export type HttpRouteDestination = Infer<typeof HttpRouteDestination>;
export type HttpRetry = Infer<typeof HttpRetry>;
export type HttpFaultInjection = Infer<typeof HttpFaultInjection>;
export type HttpRedirect = Infer<typeof HttpRedirect>;
export type HttpRewrite = Infer<typeof HttpRewrite>;
export type Headers = Infer<typeof Headers>;
export type L4MatchAttributes = Infer<typeof L4MatchAttributes>;
export type RouteDestination = Infer<typeof RouteDestination>;
