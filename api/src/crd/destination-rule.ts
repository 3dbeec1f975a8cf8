/** DestinationRule (networking.skein.dev/v1alpha1): what happens to traffic after routing. */
import { type Check, type Infer, Uint32Max, array, doc, bool, enumOf, int, object, required, string, unsupported, rule, titled } from './schema/dsl';
import { ExportTo, Labels, PortSelector, noDuplicates } from './common';
import { dnsLabel, duration, headerToken, hostOrWildcard, nonEmpty } from './formats';

export const LoadBalancerSettings = titled('LoadBalancerSettings', object(
  {
    simple: enumOf(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'LEAST_CONN', 'UNSPECIFIED'], {
      rejected: { PASSTHROUGH: 'Skein always balances over the endpoints it knows' },
      description: 'LEAST_CONN is Istio’s deprecated alias of LEAST_REQUEST; UNSPECIFIED means the default (LEAST_REQUEST).',
    }),
    consistentHash: object(
      {
        httpHeaderName: string({ format: headerToken, description: 'Hash on this request header.' }),
        httpCookie: object({
          name: required(string({ format: nonEmpty, description: 'Cookie name.' })),
          path: string({ description: 'Cookie path.' }),
          ttl: required(string({ format: duration({ min: 0 }), description: 'Lifetime of the cookie Envoy sets when the request has none; 0s: a session cookie.' })),
        }),
        useSourceIp: bool({ description: 'Hash on the source IP address.' }),
        httpQueryParameterName: unsupported('string'),
        ringHash: unsupported('object', 'Skein picks the hashing algorithm'),
        maglev: unsupported('object', 'Skein picks the hashing algorithm'),
        minimumRingSize: unsupported('integer'),
      },
      {
        exactlyOneOf: [['httpHeaderName', 'httpCookie', 'useSourceIp']],
        checks: [
          rule('useSourceIp, when set, is true', (hash, report) => {
            if (hash.useSourceIp === false) report('useSourceIp', 'must be true when set (it selects hashing on the source IP)');
          }),
        ],
      },
    ),
    localityLbSetting: unsupported('object', 'Skein has no locality-aware load balancing'),
    warmupDurationSecs: unsupported('string'),
  },
  { exactlyOneOf: [['simple', 'consistentHash']] },
));

/** Istio refuses an empty policy block: it says nothing and usually means a mis-indented YAML. */
function notEmpty(what: string): Check<Record<string, unknown>> {
  return rule(`${what} sets at least one field`, (value, report) => {
    if (Object.keys(value).length === 0) report([], `${what} must set at least one field`);
  });
}

const count = (description: string) => int({ description: `${description} 0 means the default (unlimited).` });

export const ConnectionPoolSettings = titled('ConnectionPoolSettings', object(
  {
    tcp: object({
      maxConnections: count('Maximum connections to a destination host.'),
      connectTimeout: string({ format: duration(), description: 'TCP connect timeout.' }),
      tcpKeepalive: unsupported('object', 'Skein does not set TCP keepalive on upstream connections'),
      maxConnectionDuration: unsupported('string'),
      idleTimeout: unsupported('string', 'use http.idleTimeout'),
    }),
    http: object({
      http1MaxPendingRequests: count('Maximum requests waiting for a connection.'),
      http2MaxRequests: count('Maximum active requests to a destination.'),
      maxRequestsPerConnection: count('Requests per connection before it is closed; 1 disables keep-alive.'),
      maxRetries: count('Maximum concurrent retries to a destination.'),
      idleTimeout: string({ format: duration(), description: 'Close upstream connections idle this long.' }),
      h2UpgradePolicy: enumOf(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'], { description: 'Whether HTTP/1.1 requests are sent upstream as HTTP/2.' }),
      useClientProtocol: unsupported('boolean'),
      maxConcurrentStreams: unsupported('integer'),
    }),
  },
  { checks: [notEmpty('a connection pool')] },
));

export const OutlierDetection = titled('OutlierDetection', object({
  consecutive5xxErrors: int({ max: Uint32Max, description: '5xx responses (or connection failures) in a row that eject an endpoint; 0 disables.' }),
  consecutiveGatewayErrors: int({ max: Uint32Max, description: '502/503/504 (or connection failures) in a row that eject an endpoint; 0 disables.' }),
  interval: string({ format: duration(), description: 'Time between ejection sweeps.' }),
  baseEjectionTime: string({ format: duration(), description: 'Ejection time; multiplied by the number of times the endpoint was ejected.' }),
  maxEjectionPercent: int({ min: 0, max: 100, description: 'At most this share of endpoints is ejected.' }),
  minHealthPercent: int({ min: 0, max: 100, description: 'Outlier detection pauses below this share of healthy endpoints.' }),
  consecutiveErrors: unsupported('integer', 'deprecated by Istio; use consecutive5xxErrors'),
  consecutiveLocalOriginFailures: unsupported('integer'),
  splitExternalLocalOriginErrors: unsupported('boolean'),
}));

const tlsSettingsNotSupported = 'Skein originates only mesh mTLS (ISTIO_MUTUAL) with its own certificates';
export const ClientTlsSettings = titled('ClientTLSSettings', object({
  mode: required(
    enumOf(['DISABLE', 'ISTIO_MUTUAL'], {
      rejected: { SIMPLE: tlsSettingsNotSupported, MUTUAL: tlsSettingsNotSupported },
      description: 'DISABLE: plain text; ISTIO_MUTUAL: mesh mTLS (the default inside the mesh).',
    }),
  ),
  clientCertificate: unsupported('string', tlsSettingsNotSupported),
  privateKey: unsupported('string', tlsSettingsNotSupported),
  caCertificates: unsupported('string', tlsSettingsNotSupported),
  caCrl: unsupported('string', tlsSettingsNotSupported),
  credentialName: unsupported('string', tlsSettingsNotSupported),
  subjectAltNames: unsupported('array', tlsSettingsNotSupported),
  sni: unsupported('string', tlsSettingsNotSupported),
  insecureSkipVerify: unsupported('boolean', tlsSettingsNotSupported),
}));

const policyFields = {
  loadBalancer: doc(LoadBalancerSettings, 'How endpoints are picked.'),
  connectionPool: doc(ConnectionPoolSettings, 'Connection and request limits (circuit breaking).'),
  outlierDetection: doc(OutlierDetection, 'Ejects endpoints that keep failing.'),
  tls: doc(ClientTlsSettings, 'Mesh mTLS towards the destination.'),
};

export const PortTrafficPolicy = titled('PortTrafficPolicy', object({ port: required(doc(PortSelector, 'The destination port this policy applies to.')), ...policyFields }));

export const TrafficPolicy = titled(
  'TrafficPolicy',
  object(
    {
      ...policyFields,
      portLevelSettings: array(PortTrafficPolicy, {
        checks: [noDuplicates((p: { port: { number: number } }) => p.port.number, 'port')],
        description: 'Overrides per destination port; a port-level setting replaces the whole matching top-level setting.',
      }),
      tunnel: unsupported('object'),
      proxyProtocol: unsupported('object'),
      retryBudget: unsupported('object'),
    },
    { checks: [notEmpty('a traffic policy')] },
  ),
);

export const Subset = titled('Subset', object({
  name: required(string({ format: dnsLabel })),
  labels: doc(Labels, 'Endpoints with all these labels belong to the subset.'),
  trafficPolicy: doc(TrafficPolicy, 'Overrides the rule-level policy for this subset.'),
}));

export const DestinationRuleSpec = object({
  host: required(string({ format: hostOrWildcard, description: 'Service host; short names resolve in the namespace of the rule.' })),
  trafficPolicy: doc(TrafficPolicy, 'Policy for all traffic to the host; subsets and ports may override it.'),
  subsets: array(Subset, { description: 'Named groups of endpoints (by labels) that routes can target.', checks: [noDuplicates((s: { name: string }) => s.name, 'subset name')] }),
  exportTo: ExportTo,
  workloadSelector: unsupported('object'),
});

export type DestinationRuleSpec = Infer<typeof DestinationRuleSpec>;
export type TrafficPolicy = Infer<typeof TrafficPolicy>;
export type PortTrafficPolicy = Infer<typeof PortTrafficPolicy>;
export type LoadBalancerSettings = Infer<typeof LoadBalancerSettings>;
export type ConnectionPoolSettings = Infer<typeof ConnectionPoolSettings>;
export type OutlierDetection = Infer<typeof OutlierDetection>;
export type Subset = Infer<typeof Subset>;
export type ClientTlsSettings = Infer<typeof ClientTlsSettings>;
