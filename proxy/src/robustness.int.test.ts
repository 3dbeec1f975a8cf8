/**
 * Bad input on every port the proxy opens: garbage bytes, oversized headers, slow headers,
 * malformed HTTP/2 — each gets a clear answer or a closed connection, and the proxy keeps serving.
 * Plus the admin, health and Prometheus endpoints.
 */
import { Proxy } from './proxy';
import { rawExchange, request, startHttpEcho } from './testing/apps';
import { useFixture } from './testing/fixture';
import { TestIdentity } from './testing/identity';
import { clientId, inboundConfig, outboundConfig, serverId, testProxyOptions } from './testing/mesh';
import { H2Preface } from './core/sniff';

jest.setTimeout(30_000);
const fx = useFixture();

async function sidecars(): Promise<{ client: Proxy; server: Proxy }> {
  const app = await startHttpEcho('app');
  const server = new Proxy(inboundConfig({ appPort: app.port, mode: 'PERMISSIVE' }), new TestIdentity(fx.ca.issue(serverId)), testProxyOptions);
  await server.start();
  const client = new Proxy(outboundConfig({ upstreams: [{ subset: 'v1', ports: [server.listenerPort('virtualInbound')] }] }), new TestIdentity(fx.ca.issue(clientId)), testProxyOptions);
  await client.start();
  fx.defer(() => app.close(), () => server.close(), () => client.close());
  return { client, server };
}

function ports(p: Proxy, listener: string): Record<string, number> {
  return { [listener]: p.listenerPort(listener), admin: p.port('admin'), health: p.port('health'), prometheus: p.port('prometheus') };
}

const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]);
const hugeHeaders = `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(80 * 1024)}\r\n\r\n`;

describe('bad input on every port', () => {
  it.each([
    ['garbage bytes', garbage, /^(HTTP\/1\.1 400|)/],
    ['a malformed request line', 'GET\r\n\r\n', /^(HTTP\/1\.1 400|)/],
    ['headers over 60 KiB', hugeHeaders, /^(HTTP\/1\.1 431|)/],
    ['an h2c preface then garbage', Buffer.concat([Buffer.from(H2Preface), garbage]), /.*/s],
    ['a TLS record header then garbage', Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05]), garbage]), /^(HTTP\/1\.1 400|)/],
  ])('%s: answered or closed, and the proxy keeps serving', async (_name, bytes, answer) => {
    const { client, server } = await sidecars();
    const targets = { ...ports(client, 'outbound_9080'), ...ports(server, 'virtualInbound') };
    for (const [name, port] of Object.entries(targets)) {
      const res = await rawExchange(port, bytes);
      expect({ name, closed: res.closed }).toEqual({ name, closed: true });
      expect(res.data).toMatch(answer);
    }
    expect((await request(client.listenerPort('outbound_9080'))).status).toBe(200);
    expect((await request(server.listenerPort('virtualInbound'))).status).toBe(200);
  });

  it('answers 431 with the DPE flag for oversized headers on the HTTP listeners', async () => {
    const { client } = await sidecars();
    const res = await rawExchange(client.listenerPort('outbound_9080'), hugeHeaders);
    expect(res.data).toMatch(/^HTTP\/1\.1 431/);
  });

  it('closes a connection that does not finish its headers in time (408)', async () => {
    const app = await startHttpEcho('app');
    const cfg = outboundConfig({ upstreams: [{ subset: 'v1', ports: [1] }] });
    const chain = cfg.listeners[0]!.filterChains[0]!;
    if (chain.filter.type === 'http') chain.filter.requestHeadersTimeoutMs = 300;
    const p = new Proxy(cfg, new TestIdentity(fx.ca.issue(clientId)), testProxyOptions);
    await p.start();
    fx.defer(() => app.close(), () => p.close());
    const res = await rawExchange(p.listenerPort('outbound_9080'), 'GET / HTTP/1.1\r\nhost: x\r\n', 3000);
    expect(res.closed).toBe(true);
    expect(res.data).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('admin, health and Prometheus', () => {
  it('dumps config, clusters and stats; health is ready only with a certificate', async () => {
    const { client } = await sidecars();
    await request(client.listenerPort('outbound_9080'));
    const admin = `http://127.0.0.1:${client.port('admin')}`;
    const dump = await (await fetch(`${admin}/config_dump`)).json() as { version: string; identity: { spiffeId: string }; config: { clusters: unknown[] } };
    expect(dump.version).toBe('outbound-1');
    expect(dump.identity.spiffeId).toBe(clientId);
    expect(JSON.stringify(dump)).not.toMatch(/PRIVATE KEY/);
    const clusters = await (await fetch(`${admin}/clusters`)).json() as { name: string; endpoints: unknown[] }[];
    expect(clusters[0]!.endpoints).toHaveLength(1);
    const prom = await (await fetch(`http://127.0.0.1:${client.port('prometheus')}/stats/prometheus`)).text();
    expect(prom).toMatch(/skein_requests_total\{reporter="source",source_workload="frontend",source_principal="spiffe:\/\/cluster.local\/ns\/shop\/sa\/frontend".*response_code="200"/);
    expect(prom).toContain('skein_request_duration_milliseconds_bucket');
    expect((await fetch(`${admin}/nope`)).status).toBe(404);
    expect((await fetch(`${admin}/drain`)).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${client.port('health')}/healthz/ready`)).status).toBe(200);

    const noCert = new Proxy(outboundConfig({ upstreams: [{ subset: 'v1', ports: [1] }] }), new TestIdentity(), testProxyOptions);
    await noCert.start();
    fx.defer(() => noCert.close());
    const health = await fetch(`http://127.0.0.1:${noCert.port('health')}/healthz/ready`);
    expect([health.status, await health.text()]).toEqual([503, 'not ready: no workload certificate yet\n']);
  });

  it('drain stops new connections; quitquitquit closes the proxy', async () => {
    const { client } = await sidecars();
    let quit = false;
    const p = new Proxy(outboundConfig({ upstreams: [{ subset: 'v1', ports: [1] }] }), new TestIdentity(fx.ca.issue(clientId)), { ...testProxyOptions, onQuit: () => (quit = true) });
    await p.start();
    fx.defer(() => p.close());
    expect((await fetch(`http://127.0.0.1:${client.port('admin')}/drain`, { method: 'POST' })).status).toBe(200);
    await expect(request(client.listenerPort('outbound_9080'))).rejects.toThrow(/ECONNREFUSED/);
    expect((await fetch(`http://127.0.0.1:${p.port('admin')}/quitquitquit`, { method: 'POST' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(quit).toBe(true);
  });
});
