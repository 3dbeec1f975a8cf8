import type { ProxyConfig } from '../../config/model';
import { clusterTable, configSection, endpointTable, listenerTable, parseConfigType, routeTable, secretTable } from './config-tables';

const config: ProxyConfig = {
  version: 'v1',
  node: { id: 'sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local' },
  listeners: [
    {
      name: 'virtualOutbound', address: '0.0.0.0', port: 15001, kind: 'outbound-transparent',
      filterChains: [
        { name: 'a', match: { destinationAddresses: ['10.96.0.10'], destinationPort: 9080 }, filter: { type: 'http', statPrefix: 'o', rds: '9080' } },
        { name: 'b', match: { destinationPort: 5432 }, filter: { type: 'tcp', statPrefix: 't', weightedClusters: [{ name: 'db-a', weight: 3 }, { name: 'db-b', weight: 1 }] } },
      ],
      defaultChain: { name: 'pass', match: {}, filter: { type: 'tcp', statPrefix: 'p', passthrough: true } },
    },
    {
      name: 'virtualInbound', address: '0.0.0.0', port: 15006, kind: 'inbound',
      filterChains: [{ name: 'in', match: { destinationPort: 9080, transport: 'tls' }, tls: { certificateSecret: 'default', validationSecret: 'ROOTCA' }, filter: { type: 'tcp', statPrefix: 'i', cluster: 'inbound|9080||' } }],
    },
  ],
  routeConfigs: [{
    name: '9080',
    virtualHosts: [{
      name: 'reviews.shop.svc.cluster.local:9080', domains: ['reviews', 'reviews.shop', 'reviews.shop.svc', 'reviews.shop.svc.cluster.local'],
      routes: [
        { match: { path: { prefix: '/api' }, headers: [{ name: 'end-user', exact: 'jason' }] }, action: { kind: 'route', cluster: 'outbound|9080|v2|reviews.shop.svc.cluster.local' } },
        { match: {}, action: { kind: 'route', weightedClusters: [{ name: 'outbound|9080|v1|reviews.shop.svc.cluster.local', weight: 80 }, { name: 'outbound|9080|v2|reviews.shop.svc.cluster.local', weight: 20 }] } },
      ],
    }],
  }],
  clusters: [
    { name: 'outbound|9080|v1|reviews.shop.svc.cluster.local', type: 'eds', transport: { kind: 'mtls', certificateSecret: 'default', validationSecret: 'ROOTCA', expectedSans: ['spiffe://cluster.local/ns/shop/sa/reviews'] } },
    { name: 'inbound|9080||', type: 'static', lbPolicy: 'random', endpoints: [{ address: '127.0.0.1', port: 9080 }] },
    { name: 'PassthroughCluster', type: 'original-dst' },
  ],
  endpoints: [{ clusterName: 'outbound|9080|v1|reviews.shop.svc.cluster.local', endpoints: [{ address: '10.1.0.5', port: 9080, health: 'unhealthy', weight: 2 }, { address: 'fd00::5', port: 9080 }] }],
};

/** The cells of each line (columns are three or more spaces apart). */
const cells = (table: string) => table.trimEnd().split('\n').map((l) => l.split(/ {3,}/));

describe('proxy-config tables', () => {
  it('clusters: FQDN, port, subset and direction from the name; type, LB, TLS', () => {
    expect(cells(clusterTable(config))).toEqual(cells([
      'SERVICE FQDN                      PORT   SUBSET   DIRECTION   TYPE           LB            TLS',
      'reviews.shop.svc.cluster.local    9080   v1       outbound    EDS            round-robin   mTLS',
      '-                                 9080   -        inbound     STATIC         random        -',
      'PassthroughCluster                -      -        -           ORIGINAL_DST   round-robin   -',
      '',
    ].join('\n')));
  });

  it('listeners: one row per filter chain, then the default chain', () => {
    expect(cells(listenerTable(config))).toEqual(cells([
      'ADDRESS   PORT    LISTENER          MATCH                      DESTINATION',
      '0.0.0.0   15001   virtualOutbound   10.96.0.10; port 9080      Route: 9080',
      '0.0.0.0   15001   virtualOutbound   port 5432                  Clusters: db-a 75%, db-b 25%',
      '0.0.0.0   15001   virtualOutbound   no other chain             Passthrough (original destination)',
      '0.0.0.0   15006   virtualInbound    port 9080; TLS             Cluster: inbound|9080||',
      '',
    ].join('\n')));
  });

  it('routes: one row per route, domains shortened, the split in percent', () => {
    expect(routeTable(config).split('\n').slice(1, 3)).toEqual([
      '9080   reviews.shop.svc.cluster.local:9080   reviews, reviews.shop, reviews.shop.svc + 1 more   /api* + 1 header match   outbound|9080|v2|reviews.shop.svc.cluster.local',
      '9080   reviews.shop.svc.cluster.local:9080   reviews, reviews.shop, reviews.shop.svc + 1 more   /*                       outbound|9080|v1|reviews.shop.svc.cluster.local 80%, outbound|9080|v2|reviews.shop.svc.cluster.local 20%',
    ]);
  });

  it('endpoints: EDS and static, health upper-case, IPv6 in brackets', () => {
    expect(cells(endpointTable(config))).toEqual(cells([
      'ENDPOINT           STATUS      WEIGHT   CLUSTER',
      '10.1.0.5:9080      UNHEALTHY   2        outbound|9080|v1|reviews.shop.svc.cluster.local',
      '[fd00::5]:9080     HEALTHY     1        outbound|9080|v1|reviews.shop.svc.cluster.local',
      '127.0.0.1:9080     HEALTHY     1        inbound|9080||',
      '',
    ].join('\n')));
    expect(configSection(config, 'endpoint')).toEqual([...config.endpoints, { clusterName: 'inbound|9080||', endpoints: [{ address: '127.0.0.1', port: 9080 }] }]);
  });

  it('secrets: one row per certificate, VALID CERT against the time given', () => {
    const cert = (serial: string, from: string, to: string) => ({ serialNumber: serial, notBefore: new Date(from), notAfter: new Date(to), subject: 's' });
    const out = secretTable([
      { name: 'default', type: 'Cert Chain', certificates: [cert('0A1B', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')] },
      { name: 'ROOTCA', type: 'CA', certificates: [cert('FF', '2020-01-01T00:00:00Z', '2025-01-01T00:00:00Z')] },
    ], new Date('2026-01-01T12:00:00Z'));
    expect(out.split('\n').slice(1, 3)).toEqual([
      'default         Cert Chain   ACTIVE   true         0a1b            2026-01-02T00:00:00.000Z   2026-01-01T00:00:00.000Z',
      'ROOTCA          CA           ACTIVE   false        ff              2025-01-01T00:00:00.000Z   2020-01-01T00:00:00.000Z',
    ]);
  });

  it.each([['cluster', 'cluster'], ['clusters', 'cluster'], ['Listeners', 'listener'], ['routes', 'route'], ['ep', 'endpoint'], ['secrets', 'secret'], ['bootstrap', undefined]])('type word %s → %s', (word, type) => {
    expect(parseConfigType(word)).toBe(type);
  });
});
