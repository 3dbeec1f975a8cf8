/**
 * The transparent outbound listener (:15001 in pods): the chain is chosen by the connection's
 * original destination (injected here; SO_ORIGINAL_DST in pods) — service VIP:port → HTTP routing
 * to the mTLS upstream, an `auto` port sniffs HTTP vs opaque TCP, unknown destinations pass through.
 */
import type net from 'node:net';
import type { ProxyConfig } from './config/model';
import { Proxy } from './proxy';
import { request, startHttpEcho, startTcpEcho, type Echo } from './testing/apps';
import { useFixture } from './testing/fixture';
import { TestIdentity } from './testing/identity';
import { clientId, clusterName, inboundConfig, outboundConfig, serverId, testProxyOptions } from './testing/mesh';
import { tcpRoundTrip } from './testing/tcp';

jest.setTimeout(30_000);
const fx = useFixture();

const vip = '10.96.0.10';

describe('transparent outbound listener', () => {
  it('routes a VIP by its chain, sniffs HTTP vs TCP on an auto port, and passes unknown destinations through', async () => {
    const app = await startHttpEcho('reviews');
    const echo = await startTcpEcho();
    const server = new Proxy(inboundConfig({ appPort: app.port }), new TestIdentity(fx.ca.issue(serverId)), testProxyOptions);
    await server.start();
    fx.defer(() => app.close(), () => echo.close(), () => server.close());

    const base = outboundConfig({ upstreams: [{ subset: 'v1', ports: [server.listenerPort('virtualInbound')] }] });
    const httpFilter = base.listeners[0]!.filterChains[0]!.filter;
    const config: ProxyConfig = {
      ...base,
      listeners: [{
        name: 'virtualOutbound', address: '127.0.0.1', port: 0, kind: 'outbound-transparent',
        filterChains: [
          { name: `${vip}_9080_http`, match: { destinationAddresses: [vip], destinationPort: 9080, applicationProtocol: 'http' }, filter: httpFilter },
          { name: `${vip}_9080_tcp`, match: { destinationAddresses: [vip], destinationPort: 9080, applicationProtocol: 'tcp' }, filter: { type: 'tcp', statPrefix: 'vip_tcp', cluster: 'echo' } },
        ],
        defaultChain: { name: 'PassthroughFilterChain', match: {}, filter: { type: 'tcp', statPrefix: 'PassthroughCluster', passthrough: true } },
      }],
      clusters: [...base.clusters, { name: 'echo', type: 'static', endpoints: [{ address: '127.0.0.1', port: echo.port }] }],
    };
    // The test decides what "original destination" each next connection had.
    let next: { address: string; port: number } | undefined;
    const originalDst = (_s: net.Socket): { address: string; port: number } | undefined => next;
    const client = new Proxy(config, new TestIdentity(fx.ca.issue(clientId)), { ...testProxyOptions, originalDst });
    await client.start();
    fx.defer(() => client.close());
    const port = client.listenerPort('virtualOutbound');

    next = { address: vip, port: 9080 };
    const res = await request(port, { headers: { host: 'reviews:9080' } });
    expect([res.status, (JSON.parse(res.body) as Echo).app]).toEqual([200, 'reviews']);
    expect(String((JSON.parse(res.body) as Echo).headers['x-forwarded-client-cert'])).toContain(clientId);

    // Same VIP:port, not HTTP → the tcp chain (cluster `echo`).
    expect(await tcpRoundTrip(port, '\x00\x01binary protocol')).toBe('\x00\x01binary protocol');
    expect(echo.peers).toHaveLength(1);

    // An address no chain knows → PassthroughCluster to the original destination.
    next = { address: '127.0.0.1', port: echo.port };
    expect(await tcpRoundTrip(port, 'passthrough')).toBe('passthrough');
    expect(echo.peers).toHaveLength(2);

    // No original destination at all → refused (closed), and counted.
    next = undefined;
    await expect(tcpRoundTrip(port, 'x')).rejects.toThrow(/closed/);
    const prom = await client.metrics.registry.getSingleMetricAsString('skein_downstream_protocol_errors_total');
    expect(prom).toContain('reason="no_original_destination"');
    expect(clusterName('v1')).toBe(base.clusters[0]!.name);
  });
});
