/** DestinationRule (networking.skein.dev/v1alpha1): what happens to traffic after routing. */
import { type Infer, array, bool, enumOf, int, object, required, string, unsupported } from './schema/dsl';
import { ExportTo, Labels, PortSelector, noDuplicates } from './common';
import { dnsLabel, duration, headerName, hostOrWildcard, nonEmpty } from './formats';

export const LoadBalancerSettings = object(
  {
    simple: enumOf(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'LEAST_CONN', 'UNSPECIFIED'], {
      rejected: { PASSTHROUGH: 'Skein always balances over the endpoints it knows' },
      description: 'LEAST_CONN is Istio’s deprecated alias of LEAST_REQUEST; UNSPECIFIED means the default (LEAST_REQUEST).',
    }),
    consistentHash: object(
      {
        httpHeaderName: string({ format: headerName }),
        httpCookie: object({
          name: required(string({ format: nonEmpty })),
          path: string(),
          ttl: string({ format: duration({ min: 0 }), description: 'Cookie lifetime; Envoy generates the cookie when absent.' }),
        }),
        useSourceIp: bool(),
        httpQueryParameterName: unsupported('string'),
        ringHash: unsupported('object', 'Skein picks the hashing algorithm'),
        maglev: unsupported('object', 'Skein picks the hashing algorithm'),
        minimumRingSize: unsupported('integer'),
      },
      {
        exactlyOneOf: [['httpHeaderName', 'httpCookie', 'useSourceIp']],
        checks: [
          (hash, report) => {
            if (hash.useSourceIp === false) report('useSourceIp', 'must be true when set (it selects hashing on the source IP)');
          },
        ],
      },
    ),
    localityLbSetting: unsupported('object', 'Skein has no locality-aware load balancing'),
    warmupDurationSecs: unsupported('string'),
  },
  { exactlyOneOf: [['simple', 'consistentHash']] },
);

const count = (description: string) => int({ description: `${description} 0 means the default (unlimited).` });

export const ConnectionPoolSettings = object({
  tcp: object({
    maxConnections: count('Maximum connections to a destination host.'),
    connectTimeout: string({ format: duration() }),
    tcpKeepalive: object({
      probes: int({ max: 2_147_483_647 }),
      time: string({ format: duration({ min: 1000, wholeSeconds: true }) }),
      interval: string({ format: duration({ min: 1000, wholeSeconds: true }) }),
    }),
    maxConnectionDuration: unsupported('string'),
    idleTimeout: unsupported('string', 'use http.idleTimeout'),
  }),
  http: object({
    http1MaxPendingRequests: count('Maximum requests waiting for a connection.'),
    http2MaxRequests: count('Maximum active requests to a destination.'),
    maxRequestsPerConnection: count('Requests per connection before it is closed; 1 disables keep-alive.'),
    maxRetries: count('Maximum concurrent retries to a destination.'),
    idleTimeout: string({ format: duration() }),
    h2UpgradePolicy: enumOf(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']),
    useClientProtocol: unsupported('boolean'),
    maxConcurrentStreams: unsupported('integer'),
  }),
});

export const OutlierDetection = object({
  consecutive5xxErrors: int({ max: 4_294_967_295 }),
  consecutiveGatewayErrors: int({ max: 4_294_967_295 }),
  interval: string({ format: duration() }),
  baseEjectionTime: string({ format: duration() }),
  maxEjectionPercent: int({ min: 0, max: 100 }),
  minHealthPercent: int({ min: 0, max: 100 }),
  consecutiveErrors: unsupported('integer', 'deprecated by Istio; use consecutive5xxErrors'),
  consecutiveLocalOriginFailures: unsupported('integer'),
  splitExternalLocalOriginErrors: unsupported('boolean'),
});

const tlsSettingsNotSupported = 'Skein originates only mesh mTLS (ISTIO_MUTUAL) with its own certificates';
export const ClientTlsSettings = object({
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
});

const policyFields = {
  loadBalancer: LoadBalancerSettings,
  connectionPool: ConnectionPoolSettings,
  outlierDetection: OutlierDetection,
  tls: ClientTlsSettings,
};

export const PortTrafficPolicy = object({ port: required(PortSelector), ...policyFields });

export const TrafficPolicy = object({
  ...policyFields,
  portLevelSettings: array(PortTrafficPolicy, {
    checks: [noDuplicates((p: { port: { number: number } }) => p.port.number, 'port')],
    description: 'Overrides per destination port; a port-level setting replaces the whole matching top-level setting.',
  }),
  tunnel: unsupported('object'),
  proxyProtocol: unsupported('object'),
  retryBudget: unsupported('object'),
});

export const Subset = object({
  name: required(string({ format: dnsLabel })),
  labels: Labels,
  trafficPolicy: TrafficPolicy,
});

export const DestinationRuleSpec = object({
  host: required(string({ format: hostOrWildcard, description: 'Service host; short names resolve in the namespace of the rule.' })),
  trafficPolicy: TrafficPolicy,
  subsets: array(Subset, { checks: [noDuplicates((s: { name: string }) => s.name, 'subset name')] }),
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
