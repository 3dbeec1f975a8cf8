/**
 * Bad input, one mistake per row: each starts from a valid resource and breaks one thing. Used by
 * the validator tests (exact path and message) and the OpenAPI agreement tests.
 */
import { NetworkingApiVersion, SecurityApiVersion } from '../resources';

type Json = Record<string, unknown>;
const meta = { name: 'r', namespace: 'default' };
const vs = (spec: Json): Json => ({ apiVersion: NetworkingApiVersion, kind: 'VirtualService', metadata: meta, spec });
const dr = (spec: Json): Json => ({ apiVersion: NetworkingApiVersion, kind: 'DestinationRule', metadata: meta, spec: { host: 'reviews', ...spec } });
const pa = (spec: Json): Json => ({ apiVersion: SecurityApiVersion, kind: 'PeerAuthentication', metadata: meta, spec });
const ap = (spec: Json): Json => ({ apiVersion: SecurityApiVersion, kind: 'AuthorizationPolicy', metadata: meta, spec });

const to = (host = 'reviews', extra: Json = {}): Json => ({ destination: { host, ...extra } });
/** A VirtualService with one HTTP rule: a route to reviews plus `rule`. */
const http = (rule: Json): Json => vs({ hosts: ['reviews'], http: [{ route: [to()], ...rule }] });
const match = (m: Json): Json => http({ match: [m] });
const tp = (trafficPolicy: Json): Json => dr({ trafficPolicy });
const source = (s: Json): Json => ap({ rules: [{ from: [{ source: s }] }] });
const operation = (o: Json): Json => ap({ rules: [{ to: [{ operation: o }] }] });

const dnsLabelMessage = 'must be a DNS label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit';
const rejectedTls = '"SIMPLE" is not supported by Skein: Skein originates only mesh mTLS (ISTIO_MUTUAL) with its own certificates';

/** [what is wrong, the resource, the path blamed, the message (exact, or a pattern for long lists)] */
export type Row = [string, unknown, string, string | RegExp];

export const envelope: Row[] = [
  ['not an object', 'hello', '', 'must be a Kubernetes object with apiVersion, kind, metadata and spec'],
  ['no apiVersion', { kind: 'VirtualService' }, 'apiVersion', 'required: networking.skein.dev/v1alpha1 or security.skein.dev/v1alpha1'],
  [
    "Istio's apiVersion",
    { ...vs({}), apiVersion: 'networking.istio.io/v1beta1' },
    'apiVersion',
    'unknown apiVersion "networking.istio.io/v1beta1": this is Istio\'s API group; change apiVersion to networking.skein.dev/v1alpha1',
  ],
  [
    'an Istio kind Skein lacks',
    { ...vs({}), kind: 'Gateway' },
    'kind',
    'kind "Gateway" is not supported by Skein in networking.skein.dev/v1alpha1 (supported: VirtualService, DestinationRule)',
  ],
  ['a kind in the wrong group', { ...vs({}), kind: 'PeerAuthentication' }, 'kind', 'PeerAuthentication belongs to security.skein.dev/v1alpha1, not networking.skein.dev/v1alpha1'],
  ['no metadata', { apiVersion: SecurityApiVersion, kind: 'PeerAuthentication', spec: {} }, 'metadata', 'required'],
  ['no spec', { apiVersion: NetworkingApiVersion, kind: 'VirtualService', metadata: meta }, 'spec', 'required'],
  ['a bad name', { ...pa({}), metadata: { name: 'Reviews_1' } }, 'metadata.name', 'must be a DNS subdomain: lowercase letters, digits, "-" and ".", at most 253 characters'],
  ['a bad namespace', { ...pa({}), metadata: { name: 'a', namespace: 'a.b' } }, 'metadata.namespace', dnsLabelMessage],
  ['a bad label key', { ...pa({}), metadata: { name: 'a', labels: { 'a b': 'x' } } }, 'metadata.labels[a b]', /^invalid key: label key name must be/],
  ['a top-level typo', { ...pa({}), specs: {} }, 'specs', 'unknown field, did you mean "spec"? (supported: apiVersion, kind, metadata, spec, status)'],
  ['an unknown top-level field', { ...pa({}), data: {} }, 'data', 'unknown field (supported: apiVersion, kind, metadata, spec, status)'],
];

export const virtualService: Row[] = [
  ['weight above 100', http({ route: [to(), { ...to(), weight: 150 }] }), 'spec.http[0].route[1].weight', 'must be an integer 0..100'],
  ['weight not a number', http({ route: [to(), { ...to(), weight: 'fifty' }] }), 'spec.http[0].route[1].weight', 'must be an integer 0..100'],
  [
    'weights not adding up to 100',
    http({ route: [{ ...to(), weight: 60 }, { ...to('reviews', { subset: 'v2' }), weight: 30 }] }),
    'spec.http[0].route',
    'weights must add up to 100 when there is more than one destination (they add up to 90)',
  ],
  ['corsPolicy', http({ corsPolicy: { allowOrigins: [{ exact: '*' }] } }), 'spec.http[0].corsPolicy', 'not supported by Skein'],
  ['tls routes', vs({ hosts: ['r'], tls: [{ match: [{ sniHosts: ['r'] }] }] }), 'spec.tls', 'not supported by Skein: TLS (SNI) routes; route that traffic with tcp rules matched by port'],
  [
    'a gateway other than mesh',
    vs({ hosts: ['r'], gateways: ['my-gateway'], http: [{ route: [to()] }] }),
    'spec.gateways[0]',
    'only "mesh" is supported (Skein has no ingress or egress gateways), got "my-gateway"',
  ],
  [
    'a typo in a rule',
    http({ routes: [] }),
    'spec.http[0].routes',
    'unknown field, did you mean "route"? (supported: name, match, route, redirect, rewrite, timeout, retries, fault, mirror, mirrorPercentage, headers)',
  ],
  ['an empty route list', http({ route: [] }), 'spec.http[0].route', 'must have at least 1 item(s)'],
  ['route and redirect', http({ redirect: { uri: '/x' } }), 'spec.http[0]', 'set only one of route, redirect (found route and redirect)'],
  ['neither route nor redirect', vs({ hosts: ['r'], http: [{ name: 'x' }] }), 'spec.http[0]', 'one of route, redirect is required'],
  ['timeout with redirect', vs({ hosts: ['r'], http: [{ redirect: { uri: '/x' }, timeout: '1s' }] }), 'spec.http[0].timeout', 'cannot be combined with redirect'],
  ['a redirect code that is not a redirect', vs({ hosts: ['r'], http: [{ redirect: { uri: '/x', redirectCode: 305 } }] }), 'spec.http[0].redirect.redirectCode', 'must be one of 301, 302, 303, 307, 308'],
  ['an empty redirect', vs({ hosts: ['r'], http: [{ redirect: {} }] }), 'spec.http[0].redirect', 'set at least one of uri, authority, port, scheme'],
  ['derivePort', vs({ hosts: ['r'], http: [{ redirect: { derivePort: 'FROM_REQUEST_PORT' } }] }), 'spec.http[0].redirect.derivePort', 'not supported by Skein: set port explicitly'],
  ['a rewrite uri without /', http({ rewrite: { uri: 'v1' } }), 'spec.http[0].rewrite.uri', 'must be a path starting with "/" without spaces'],
  ['uriRegexRewrite', http({ rewrite: { uriRegexRewrite: { match: 'a', rewrite: 'b' } } }), 'spec.http[0].rewrite.uriRegexRewrite', 'not supported by Skein: use uri'],
  ['a regex lookahead', match({ uri: { regex: '/api/(?=v1)' } }), 'spec.http[0].match[0].uri.regex', 'regex uses a lookahead (?=…), which RE2 (used by Envoy) does not support'],
  ['a regex backreference', match({ uri: { regex: '/(a)\\1' } }), 'spec.http[0].match[0].uri.regex', 'regex uses a backreference (\\1), which RE2 (used by Envoy) does not support'],
  ['a regex that does not compile', match({ uri: { regex: '/([a-z' } }), 'spec.http[0].match[0].uri.regex', /^invalid regex: /],
  ['uri with exact and prefix', match({ uri: { exact: '/a', prefix: '/' } }), 'spec.http[0].match[0].uri', 'set only one of exact, prefix, regex (found exact and prefix)'],
  ['an empty uri match', match({ uri: {} }), 'spec.http[0].match[0].uri', 'one of exact, prefix, regex is required'],
  ['an upper-case header name', match({ headers: { 'End-User': { exact: 'jason' } } }), 'spec.http[0].match[0].headers[End-User]', 'invalid key: header names must be lowercase'],
  ['a pseudo-header match', match({ headers: { ':path': { exact: '/' } } }), 'spec.http[0].match[0].headers[:path]', 'invalid key: pseudo-headers cannot be matched here; use uri, method or authority'],
  [
    'a prefix query match',
    match({ queryParams: { debug: { prefix: '1' } } }),
    'spec.http[0].match[0].queryParams[debug].prefix',
    'not supported by Skein: query parameters match by exact or regex (as in Istio)',
  ],
  ['a match on the scheme', match({ scheme: { exact: 'https' } }), 'spec.http[0].match[0].scheme', 'not supported by Skein: matching on the scheme'],
  ['a match port out of range', match({ port: 0 }), 'spec.http[0].match[0].port', 'must be an integer 1..65535'],
  ['a bad duration', http({ timeout: '1x' }), 'spec.http[0].timeout', /^invalid duration "1x": expected a number with a unit/],
  ['a zero timeout', http({ timeout: '0s' }), 'spec.http[0].timeout', 'duration "0s" must be at least 1ms'],
  ['a sub-millisecond timeout', http({ timeout: '0.5ms' }), 'spec.http[0].timeout', 'duration "0.5ms" must be a whole number of milliseconds'],
  ['negative attempts', http({ retries: { attempts: -1 } }), 'spec.http[0].retries.attempts', 'must be an integer >= 0'],
  ['an unknown retry condition', http({ retries: { attempts: 2, retryOn: '5xx,bogus' } }), 'spec.http[0].retries.retryOn', /^unknown retry condition "bogus"; use a comma-separated list of 5xx, /],
  ['retryRemoteLocalities', http({ retries: { retryRemoteLocalities: true } }), 'spec.http[0].retries.retryRemoteLocalities', 'not supported by Skein: Skein has no locality-aware load balancing'],
  ['an abort status out of range', http({ fault: { abort: { httpStatus: 700 } } }), 'spec.http[0].fault.abort.httpStatus', 'must be an integer 200..599'],
  ['an abort with two statuses', http({ fault: { abort: { httpStatus: 503, grpcStatus: 'UNAVAILABLE' } } }), 'spec.http[0].fault.abort', 'set only one of httpStatus, grpcStatus (found httpStatus and grpcStatus)'],
  ['a numeric grpc status', http({ fault: { abort: { grpcStatus: '14' } } }), 'spec.http[0].fault.abort.grpcStatus', /^must be one of OK, CANCELLED, .*UNAUTHENTICATED$/],
  ['a percentage above 100', http({ fault: { delay: { fixedDelay: '1s', percentage: { value: 101 } } } }), 'spec.http[0].fault.delay.percentage.value', 'must be a number 0..100'],
  ['a delay without fixedDelay', http({ fault: { delay: { percentage: { value: 1 } } } }), 'spec.http[0].fault.delay.fixedDelay', 'required'],
  ['the deprecated integer percent', http({ fault: { delay: { fixedDelay: '1s', percent: 10 } } }), 'spec.http[0].fault.delay.percent', 'not supported by Skein: deprecated by Istio; use percentage.value'],
  ['an empty fault', http({ fault: {} }), 'spec.http[0].fault', 'set delay, abort or both'],
  ['mirrorPercentage without mirror', http({ mirrorPercentage: { value: 10 } }), 'spec.http[0].mirrorPercentage', 'requires mirror'],
  ['several mirrors', http({ mirrors: [{ destination: { host: 'a' } }] }), 'spec.http[0].mirrors', 'not supported by Skein: several mirrors; use mirror and mirrorPercentage'],
  ['a destination port out of range', http({ route: [to('reviews', { port: { number: 70000 } })] }), 'spec.http[0].route[0].destination.port.number', 'must be an integer 1..65535'],
  ['a wildcard destination', http({ route: [to('*.prod')] }), 'spec.http[0].route[0].destination.host', 'must be a concrete host name; wildcards are not allowed here'],
  ['an upper-case host', http({ route: [to('Reviews')] }), 'spec.http[0].route[0].destination.host', 'must be lowercase'],
  ['a subset that is not a DNS label', http({ route: [to('reviews', { subset: 'v1.0' })] }), 'spec.http[0].route[0].destination.subset', dnsLabelMessage],
  ['per-destination headers', http({ route: [{ ...to(), headers: {} }] }), 'spec.http[0].route[0].headers', 'not supported by Skein: per-destination header changes; set headers on the route'],
  ['a header value with a newline', http({ headers: { request: { set: { 'x-a': 'a\r\nx-b: b' } } } }), 'spec.http[0].headers.request.set[x-a]', 'header values cannot contain CR, LF or NUL'],
  ['setting a pseudo-header', http({ headers: { request: { set: { ':path': '/' } } } }), 'spec.http[0].headers.request.set[:path]', 'invalid key: pseudo-headers and Host cannot be changed here; use rewrite.authority and rewrite.uri'],
  ['removing Host', http({ headers: { request: { remove: ['Host'] } } }), 'spec.http[0].headers.request.remove[0]', 'pseudo-headers and Host cannot be changed here; use rewrite.authority and rewrite.uri'],
  ['an empty method prefix', match({ method: { prefix: '' } }), 'spec.http[0].match[0].method.prefix', 'must not be empty'],
  ['an empty header prefix', match({ headers: { 'x-user': { prefix: '' } } }), 'spec.http[0].match[0].headers[x-user].prefix', 'must not be empty'],
  ['regex "*" for presence', match({ withoutHeaders: { 'x-user': { regex: '*' } } }), 'spec.http[0].match[0].withoutHeaders[x-user].regex', 'invalid regex "*": to match any value (presence), use {} instead of a regex'],
  ['perTryTimeout without attempts', http({ retries: { perTryTimeout: '1s' } }), 'spec.http[0].retries.perTryTimeout', 'has no effect: attempts is absent or 0, which disables retries'],
  ['retryOn with spaces', http({ retries: { attempts: 2, retryOn: '5xx, reset' } }), 'spec.http[0].retries.retryOn', 'retry conditions are separated by "," without spaces (got "5xx, reset")'],
  ['no hosts', vs({ hosts: [], http: [{ route: [to()] }] }), 'spec.hosts', 'must have at least 1 item(s)'],
  ['the catch-all host', vs({ hosts: ['*'], http: [{ route: [to()] }] }), 'spec.hosts[0]', 'the catch-all host "*" is not supported; name the hosts (a "*.suffix" wildcard is allowed)'],
  ['no routes at all', vs({ hosts: ['r'] }), 'spec', 'set http or tcp routes'],
  ['exportTo mixing * and names', vs({ hosts: ['r'], exportTo: ['*', 'foo'], http: [{ route: [to()] }] }), 'spec.exportTo', 'cannot mix "*" with other entries'],
  ['exportTo ~', vs({ hosts: ['r'], exportTo: ['~'], http: [{ route: [to()] }] }), 'spec.exportTo[0]', 'exporting to no namespace ("~") is not supported by Skein'],
  ['a tcp rule without route', vs({ hosts: ['r'], tcp: [{ match: [{ port: 9000 }] }] }), 'spec.tcp[0].route', 'required'],
  [
    'a bad destination subnet',
    vs({ hosts: ['r'], tcp: [{ match: [{ destinationSubnets: ['10.0.0.0/8', 'ten'] }], route: [to()] }] }),
    'spec.tcp[0].match[0].destinationSubnets[1]',
    'must be an IP address or a CIDR block such as 10.0.0.0/8',
  ],
  ['tcp weights not adding up', vs({ hosts: ['r'], tcp: [{ route: [{ ...to(), weight: 80 }, { ...to(), weight: 30 }] }] }), 'spec.tcp[0].route', 'weights must add up to 100 when there is more than one destination (they add up to 110)'],
];

export const destinationRule: Row[] = [
  ['no host', { ...dr({}), spec: {} }, 'spec.host', 'required'],
  ['warmupDurationSecs', tp({ loadBalancer: { simple: 'ROUND_ROBIN', warmupDurationSecs: '10s' } }), 'spec.trafficPolicy.loadBalancer.warmupDurationSecs', 'not supported by Skein'],
  ['PASSTHROUGH', tp({ loadBalancer: { simple: 'PASSTHROUGH' } }), 'spec.trafficPolicy.loadBalancer.simple', '"PASSTHROUGH" is not supported by Skein: Skein always balances over the endpoints it knows'],
  ['an unknown algorithm', tp({ loadBalancer: { simple: 'FASTEST' } }), 'spec.trafficPolicy.loadBalancer.simple', 'must be one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, LEAST_CONN, UNSPECIFIED'],
  [
    'simple and consistentHash',
    tp({ loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } }),
    'spec.trafficPolicy.loadBalancer',
    'set only one of simple, consistentHash (found simple and consistentHash)',
  ],
  [
    'two hash keys',
    tp({ loadBalancer: { consistentHash: { useSourceIp: true, httpHeaderName: 'x-user' } } }),
    'spec.trafficPolicy.loadBalancer.consistentHash',
    'set only one of httpHeaderName, httpCookie, useSourceIp (found httpHeaderName and useSourceIp)',
  ],
  ['useSourceIp false', tp({ loadBalancer: { consistentHash: { useSourceIp: false } } }), 'spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp', 'must be true when set (it selects hashing on the source IP)'],
  ['a cookie without name', tp({ loadBalancer: { consistentHash: { httpCookie: { ttl: '1h' } } } }), 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name', 'required'],
  ['a cookie without ttl', tp({ loadBalancer: { consistentHash: { httpCookie: { name: 'user' } } } }), 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl', 'required'],
  ['an empty traffic policy', dr({ trafficPolicy: {} }), 'spec.trafficPolicy', 'a traffic policy must set at least one field'],
  ['an empty connection pool', tp({ connectionPool: {} }), 'spec.trafficPolicy.connectionPool', 'a connection pool must set at least one field'],
  ['ringHash', tp({ loadBalancer: { consistentHash: { useSourceIp: true, ringHash: {} } } }), 'spec.trafficPolicy.loadBalancer.consistentHash.ringHash', 'not supported by Skein: Skein picks the hashing algorithm'],
  ['tls SIMPLE', tp({ tls: { mode: 'SIMPLE' } }), 'spec.trafficPolicy.tls.mode', rejectedTls],
  ['tls sni', tp({ tls: { mode: 'ISTIO_MUTUAL', sni: 'a' } }), 'spec.trafficPolicy.tls.sni', 'not supported by Skein: Skein originates only mesh mTLS (ISTIO_MUTUAL) with its own certificates'],
  ['tls without mode', tp({ tls: {} }), 'spec.trafficPolicy.tls.mode', 'required'],
  ['negative maxConnections', tp({ connectionPool: { tcp: { maxConnections: -1 } } }), 'spec.trafficPolicy.connectionPool.tcp.maxConnections', 'must be an integer >= 0'],
  ['a TCP keepalive (not enforced, so refused)', tp({ connectionPool: { tcp: { tcpKeepalive: { time: '5s' } } } }), 'spec.trafficPolicy.connectionPool.tcp.tcpKeepalive', 'not supported by Skein: Skein does not set TCP keepalive on upstream connections'],
  ['an unknown h2UpgradePolicy', tp({ connectionPool: { http: { h2UpgradePolicy: 'ALWAYS' } } }), 'spec.trafficPolicy.connectionPool.http.h2UpgradePolicy', 'must be one of DEFAULT, DO_NOT_UPGRADE, UPGRADE'],
  ['a duration without unit', tp({ outlierDetection: { interval: '10' } }), 'spec.trafficPolicy.outlierDetection.interval', /^invalid duration "10"/],
  ['maxEjectionPercent above 100', tp({ outlierDetection: { maxEjectionPercent: 120 } }), 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', 'must be an integer 0..100'],
  ['consecutiveErrors', tp({ outlierDetection: { consecutiveErrors: 5 } }), 'spec.trafficPolicy.outlierDetection.consecutiveErrors', 'not supported by Skein: deprecated by Istio; use consecutive5xxErrors'],
  [
    'a duplicate port-level setting',
    tp({ portLevelSettings: [{ port: { number: 80 } }, { port: { number: 80 }, tls: { mode: 'DISABLE' } }] }),
    'spec.trafficPolicy.portLevelSettings[1]',
    'duplicate port 80',
  ],
  ['nested portLevelSettings', tp({ portLevelSettings: [{ port: { number: 80 }, portLevelSettings: [] }] }), 'spec.trafficPolicy.portLevelSettings[0].portLevelSettings', /^unknown field \(supported: port, loadBalancer/],
  ['duplicate subsets', dr({ subsets: [{ name: 'v1' }, { name: 'v1' }] }), 'spec.subsets[1]', 'duplicate subset name "v1"'],
  ['a subset name that is not a DNS label', dr({ subsets: [{ name: 'V1' }] }), 'spec.subsets[0].name', dnsLabelMessage],
  ['a bad subset label value', dr({ subsets: [{ name: 'v1', labels: { version: 'v 1' } }] }), 'spec.subsets[0].labels[version]', /^label value must be empty or at most 63/],
  ['workloadSelector', dr({ workloadSelector: { matchLabels: { app: 'a' } } }), 'spec.workloadSelector', 'not supported by Skein'],
];

export const peerAuthentication: Row[] = [
  ['a lower-case mode', pa({ mtls: { mode: 'strict' } }), 'spec.mtls.mode', 'must be one of UNSET, DISABLE, PERMISSIVE, STRICT'],
  [
    'portLevelMtls without selector',
    pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } }),
    'spec.portLevelMtls',
    'requires a selector with matchLabels (port-level settings apply to selected workloads only)',
  ],
  ['a port key that is not a number', pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { http: { mode: 'DISABLE' } } }), 'spec.portLevelMtls[http]', 'invalid key: must be a port number 1..65535'],
  ['a port key out of range', pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { '70000': { mode: 'DISABLE' } } }), 'spec.portLevelMtls[70000]', 'invalid key: must be a port number 1..65535'],
  ['a selector typo', pa({ selector: { matchLabel: { app: 'a' } } }), 'spec.selector.matchLabel', 'unknown field, did you mean "matchLabels"? (supported: matchLabels)'],
];

export const authorizationPolicy: Row[] = [
  ['AUDIT', ap({ action: 'AUDIT' }), 'spec.action', '"AUDIT" is not supported by Skein: there is no audit sink'],
  ['CUSTOM', ap({ action: 'CUSTOM' }), 'spec.action', '"CUSTOM" is not supported by Skein: there is no external authorization'],
  ['provider', ap({ provider: { name: 'ext' } }), 'spec.provider', 'not supported by Skein: there is no external authorization'],
  ['when', ap({ rules: [{ when: [{ key: 'request.headers[x]', values: ['a'] }] }] }), 'spec.rules[0].when', 'not supported by Skein: conditions'],
  ['requestPrincipals', source({ requestPrincipals: ['*'] }), 'spec.rules[0].from[0].source.requestPrincipals', 'not supported by Skein: Skein does not authenticate end users (no RequestAuthentication)'],
  ['an empty from', ap({ rules: [{ from: [] }] }), 'spec.rules[0].from', 'must have at least 1 item(s)'],
  ['a from without source', ap({ rules: [{ from: [{}] }] }), 'spec.rules[0].from[0].source', 'required'],
  ['an empty source', source({}), 'spec.rules[0].from[0].source', 'source must set at least one field'],
  ['an empty operation', operation({ methods: [] }), 'spec.rules[0].to[0].operation', 'operation must set at least one field'],
  ['a spiffe:// principal', source({ principals: ['spiffe://cluster.local/ns/a/sa/b'] }), 'spec.rules[0].from[0].source.principals[0]', 'write principals without "spiffe://", e.g. "cluster.local/ns/default/sa/sleep"'],
  ['a wildcard in the middle', source({ principals: ['cluster.local/ns/*/sa/b'] }), 'spec.rules[0].from[0].source.principals[0]', 'a "*" is allowed only at the start or the end'],
  ['a bad CIDR', source({ ipBlocks: ['10.0.0.0/33'] }), 'spec.rules[0].from[0].source.ipBlocks[0]', 'CIDR prefix length must be 0..32'],
  ['a named port', operation({ ports: ['http'] }), 'spec.rules[0].to[0].operation.ports[0]', 'must be a port number 1..65535'],
  ['a numeric port', operation({ ports: [8080] }), 'spec.rules[0].to[0].operation.ports[0]', 'must be a string (port number)'],
  ['a path template', operation({ paths: ['/api/{*}/info'] }), 'spec.rules[0].to[0].operation.paths[0]', 'path templates ({*}, {**}) are not supported by Skein; use a "prefix*" or "*suffix" match'],
  ['a lower-case method', operation({ methods: ['get'] }), 'spec.rules[0].to[0].operation.methods[0]', 'must be an upper-case HTTP method such as GET (or use "*" wildcards)'],
  ['targetRef', ap({ targetRef: { kind: 'Service', name: 'a' } }), 'spec.targetRef', 'not supported by Skein: use selector'],
];


export const vsWithHttpRule = http;
