/** A small but complete snapshot: one explicit outbound listener → one mTLS EDS cluster. */
export function sampleConfig(): Record<string, unknown> {
  return {
    version: 'v1',
    node: { id: 'sidecar~10.0.0.1~a.default~default.svc.cluster.local', workload: 'a', namespace: 'default' },
    listeners: [
      {
        name: '127.0.0.1_9080', address: '127.0.0.1', port: 9080, kind: 'outbound-explicit', destinationPort: 9080,
        filterChains: [{ name: 'http', match: {}, filter: { type: 'http', statPrefix: 'outbound_9080', rds: '9080' } }],
      },
      {
        name: 'virtualInbound', address: '0.0.0.0', port: 15006, kind: 'inbound',
        filterChains: [{ name: 'tls', match: { transport: 'tls' }, tls: {}, filter: { type: 'tcp', statPrefix: 'in', cluster: 'inbound|9080||' } }],
      },
    ],
    routeConfigs: [{ name: '9080', virtualHosts: [{ name: 'b', domains: ['*'], routes: [{ match: { path: { prefix: '/' } }, action: { kind: 'route', cluster: 'outbound|9080||b.default.svc.cluster.local' } }] }] }],
    clusters: [
      { name: 'outbound|9080||b.default.svc.cluster.local', type: 'eds', transport: { kind: 'mtls', expectedSans: ['spiffe://cluster.local/ns/default/sa/b'] } },
      { name: 'inbound|9080||', type: 'static', endpoints: [{ address: '127.0.0.1', port: 9080 }] },
    ],
    endpoints: [{ clusterName: 'outbound|9080||b.default.svc.cluster.local', endpoints: [{ address: '127.0.0.1', port: 15006 }] }],
  };
}

