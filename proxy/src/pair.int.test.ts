/**
 * Two real proxies on loopback (client sidecar → mTLS → server sidecar) in front of real apps.
 */
import http from 'node:http';
import net from 'node:net';
import { parseXfcc } from './core/xfcc';
import { Proxy } from './proxy';
import { request, startHttpEcho, startTcpEcho, type Echo, type RunningApp } from './testing/apps';
import { createTestCa } from './testing/certs';
import { useFixture } from './testing/fixture';
import { TestIdentity } from './testing/identity';
import { tcpRoundTrip } from './testing/tcp';
import { clientId, clusterName, inboundConfig, outboundConfig, serverId, testProxyOptions, type InboundOptions, type OutboundOptions } from './testing/mesh';

jest.setTimeout(30_000);

const fx = useFixture();

async function app(name: string): Promise<RunningApp> {
  const a = await startHttpEcho(name);
  fx.defer(() => a.close());
  return a;
}
async function serverSidecar(o: InboundOptions, id = serverId): Promise<Proxy> {
  const p = new Proxy(inboundConfig(o), new TestIdentity(fx.ca.issue(id)), testProxyOptions);
  await p.start();
  fx.defer(() => p.close());
  return p;
}
async function clientSidecar(o: OutboundOptions, id = clientId): Promise<Proxy> {
  const p = new Proxy(outboundConfig(o), new TestIdentity(fx.ca.issue(id)), testProxyOptions);
  await p.start();
  fx.defer(() => p.close());
  return p;
}
const out = (p: Proxy): number => p.listenerPort('outbound_9080');
const inb = (p: Proxy): number => p.listenerPort('virtualInbound');

describe('HTTP/1.1 through an mTLS sidecar pair', () => {
  it('delivers the request and tells the app who called (XFCC), stripping a forged one', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] });
    const res = await request(out(client), { path: '/items?x=1', headers: { 'x-forwarded-client-cert': 'URI=spiffe://cluster.local/ns/evil/sa/mallory', host: 'reviews:9080' } });
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as Echo;
    expect(echo.path).toBe('/items?x=1');
    expect(echo.headers.host).toBe('reviews:9080');
    const xfcc = parseXfcc(String(echo.headers['x-forwarded-client-cert']));
    expect(xfcc.uri).toBe(clientId);
    expect(xfcc.by).toBe(serverId);
    expect(String(echo.headers['x-forwarded-client-cert'])).not.toContain('mallory');
  });

  it('fills source and destination workloads on both reporters (metadata exchange), which neither app sees', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] });
    const res = await request(out(client), { headers: { 'x-skein-peer-metadata': 'workload=forged,namespace=shop' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-skein-peer-metadata']).toBeUndefined();
    expect((JSON.parse(res.body) as Echo).headers['x-skein-peer-metadata']).toBeUndefined();
    const series = async (p: Proxy): Promise<string> => (await p.metrics.registry.getSingleMetricAsString('skein_requests_total')).split('\n').filter((l) => l.startsWith('skein_requests_total{')).join('\n');
    expect(await series(client)).toMatch(/reporter="source",source_workload="frontend",.*destination_workload="reviews",.*source_workload_namespace="shop",.*destination_workload_namespace="shop"/);
    expect(await series(server)).toMatch(/reporter="destination",source_workload="frontend",source_principal="spiffe:\/\/cluster.local\/ns\/shop\/sa\/frontend",destination_workload="reviews"/);
    expect(await series(server)).not.toContain('forged');
  });

  it('streams request and response bodies (POST 2 MiB, chunked) over keep-alive', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await request(out(client), { method: 'POST', body: Buffer.alloc(2 << 20, 7), agent, headers: { 'transfer-encoding': 'chunked' } });
        expect(res.status).toBe(200);
        expect((JSON.parse(res.body) as Echo).bodyBytes).toBe(2 << 20);
      }
    } finally {
      agent.destroy();
    }
  });

  it('handles Expect: 100-continue', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] });
    const res = await request(out(client), { method: 'PUT', body: 'hello', headers: { expect: '100-continue', 'content-length': '5' } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as Echo).bodyBytes).toBe(5);
  });

  it('connects to the app from 127.0.0.6 (inbound passthrough source)', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] });
    const echo = JSON.parse((await request(out(client))).body) as Echo;
    expect(echo.remoteAddress).toBe('127.0.0.6');
  });

  it('answers 503 UF when the upstream sidecar has a different identity than expected', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port }, 'spiffe://cluster.local/ns/shop/sa/impostor');
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] });
    const res = await request(out(client));
    expect(res.status).toBe(503);
    expect(res.headers['x-skein-response-flags']).toBe('UF');
  });

  it('answers 503 UF when nothing listens upstream, 404 NR without a route', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [port] }], routes: [{ match: { path: { prefix: '/api' } }, action: { kind: 'route', cluster: clusterName('v1') } }] });
    const uf = await request(out(client), { path: '/api' });
    expect([uf.status, uf.headers['x-skein-response-flags'], uf.body]).toEqual([503, 'UF', expect.stringContaining('connection failure')]);
    const nr = await request(out(client), { path: '/other' });
    expect([nr.status, nr.headers['x-skein-response-flags']]).toEqual([404, 'NR']);
  });

  it('enforces the route timeout with 504 UT', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }], routes: [{ match: {}, action: { kind: 'route', cluster: clusterName('v1'), timeoutMs: 100 } }] });
    const res = await request(out(client), { path: '/slow/2000' });
    expect([res.status, res.headers['x-skein-response-flags']]).toEqual([504, 'UT']);
    expect((await request(out(client), { path: '/fast' })).status).toBe(200);
  });
});

describe('inbound modes', () => {
  it('STRICT refuses a plaintext client; PERMISSIVE accepts it; DISABLE refuses TLS', async () => {
    const a = await app('reviews-v1');
    const strict = await serverSidecar({ appPort: a.port, mode: 'STRICT' });
    await expect(request(inb(strict))).rejects.toThrow(/socket hang up|ECONNRESET/);
    const permissive = await serverSidecar({ appPort: a.port, mode: 'PERMISSIVE' });
    const res = await request(inb(permissive), { headers: { 'x-forwarded-client-cert': 'URI=forged' } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as Echo).headers['x-forwarded-client-cert']).toBeUndefined();
    // mTLS still works on the PERMISSIVE port
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(permissive)] }] });
    expect(parseXfcc(String((JSON.parse((await request(out(client))).body) as Echo).headers['x-forwarded-client-cert'])).uri).toBe(clientId);
    const disabled = await serverSidecar({ appPort: a.port, mode: 'DISABLE' });
    const viaDisabled = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(disabled)] }] });
    expect((await request(out(viaDisabled))).status).toBe(503);
  });

  it('rejects a client certificate from another CA', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({ appPort: a.port });
    const other = createTestCa('other-root');
    try {
      const rogue = new Proxy(outboundConfig({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] }), new TestIdentity({ ...other.issue(clientId), trustBundlePem: fx.ca.certPem }), testProxyOptions);
      await rogue.start();
      fx.defer(() => rogue.close());
      const res = await request(out(rogue));
      expect(res.status).toBe(503);
    } finally {
      other.dispose();
    }
  });
});

describe('routing and load balancing', () => {
  async function twoVersions(o: Omit<OutboundOptions, 'upstreams'>, lbPolicy?: OutboundOptions['upstreams'][number]['lbPolicy']): Promise<Proxy> {
    const v1 = await app('v1');
    const v2 = await app('v2');
    const s1 = await serverSidecar({ appPort: v1.port });
    const s2 = await serverSidecar({ appPort: v2.port });
    return clientSidecar({ ...o, upstreams: [{ subset: 'v1', ports: [inb(s1)], lbPolicy }, { subset: 'v2', ports: [inb(s2)], lbPolicy }] });
  }
  const appOf = async (port: number, headers?: Record<string, string>, path = '/'): Promise<string> => (await request(port, { headers, path })).headers['x-app'] as string;

  it('splits by weight (80/20 over 200 requests, seeded)', async () => {
    const client = await twoVersions({ routes: [{ match: {}, action: { kind: 'route', weightedClusters: [{ name: clusterName('v1'), weight: 80 }, { name: clusterName('v2'), weight: 20 }] } }] });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const name = await appOf(out(client));
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts.v1! + counts.v2!).toBe(200);
    expect(counts.v2).toBeGreaterThan(20);
    expect(counts.v2).toBeLessThan(65);
  });

  it('routes by header, rewrites the prefix, and adds headers', async () => {
    const client = await twoVersions({
      routes: [
        { match: { headers: [{ name: 'end-user', exact: 'jason' }] }, action: { kind: 'route', cluster: clusterName('v2') }, requestHeadersToAdd: [{ name: 'x-canary', value: '1', action: 'overwrite' }] },
        { match: { path: { prefix: '/old/' } }, action: { kind: 'route', cluster: clusterName('v1'), prefixRewrite: '/new/' } },
        { match: {}, action: { kind: 'route', cluster: clusterName('v1') }, responseHeadersToAdd: [{ name: 'x-served-by', value: 'skein', action: 'overwrite' }] },
      ],
    });
    const jason = await request(out(client), { headers: { 'end-user': 'jason' } });
    expect(jason.headers['x-app']).toBe('v2');
    expect((JSON.parse(jason.body) as Echo).headers['x-canary']).toBe('1');
    const other = await request(out(client), { headers: { 'end-user': 'kim' } });
    expect([other.headers['x-app'], other.headers['x-served-by']]).toEqual(['v1', 'skein']);
    expect((JSON.parse((await request(out(client), { path: '/old/a?b=1' })).body) as Echo).path).toBe('/new/a?b=1');
  });

  it('ring hash keeps a user on one endpoint', async () => {
    const apps = await Promise.all(['e1', 'e2', 'e3'].map((n) => app(n)));
    const sidecars = await Promise.all(apps.map((a) => serverSidecar({ appPort: a.port })));
    const client = await clientSidecar({
      upstreams: [{ subset: 'v1', ports: sidecars.map(inb), lbPolicy: 'ring-hash' }],
      routes: [{ match: {}, action: { kind: 'route', cluster: clusterName('v1'), hashPolicy: [{ header: 'x-user' }] } }],
    });
    const seen = new Set<string>();
    for (let u = 0; u < 12; u++) {
      const first = await appOf(out(client), { 'x-user': `user-${u}` });
      seen.add(first);
      for (let i = 0; i < 4; i++) expect(await appOf(out(client), { 'x-user': `user-${u}` })).toBe(first);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('serves direct responses and redirects', async () => {
    const client = await twoVersions({
      routes: [
        { match: { path: { exact: '/teapot' } }, action: { kind: 'direct', status: 418, body: 'short and stout' } },
        { match: { path: { prefix: '/moved' } }, action: { kind: 'redirect', path: '/here', responseCode: 302 } },
      ],
    });
    const t = await request(out(client), { path: '/teapot' });
    expect([t.status, t.body]).toEqual([418, 'short and stout']);
    const r = await request(out(client), { path: '/moved?q=1', headers: { host: 'reviews:9080' } });
    expect([r.status, r.headers.location]).toEqual([302, 'http://reviews:9080/here?q=1']);
  });
});

describe('authorization', () => {
  it('denies with 403 "RBAC: access denied" by principal and path; allows the rest', async () => {
    const a = await app('reviews-v1');
    const server = await serverSidecar({
      appPort: a.port,
      rbac: { policies: [
        { name: 'deny-admin', action: 'DENY', rules: [{ paths: ['/admin*'] }] },
        { name: 'allow-frontend', action: 'ALLOW', rules: [{ principals: ['cluster.local/ns/shop/sa/frontend'] }] },
      ] },
    });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] });
    expect((await request(out(client), { path: '/items' })).status).toBe(200);
    const denied = await request(out(client), { path: '/admin/x' });
    expect([denied.status, denied.body]).toEqual([403, 'RBAC: access denied']);
    const stranger = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }] }, 'spiffe://cluster.local/ns/other/sa/x');
    expect((await request(out(stranger), { path: '/items' })).status).toBe(403);
  });

  it('closes a TCP connection RBAC denies', async () => {
    const echo = await startTcpEcho();
    fx.defer(() => echo.close());
    const server = await serverSidecar({ appPort: echo.port, protocol: 'tcp', rbac: { policies: [{ name: 'only-admin', action: 'ALLOW', rules: [{ principals: ['cluster.local/ns/ops/sa/admin'] }] }] } });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }], protocol: 'tcp' });
    await expect(tcpRoundTrip(out(client), 'hello')).rejects.toThrow(/closed/);
    expect(echo.peers).toHaveLength(0);
  });
});

describe('opaque TCP through the mTLS pair', () => {
  it('echoes bytes both ways, with half-close', async () => {
    const echo = await startTcpEcho();
    fx.defer(() => echo.close());
    const server = await serverSidecar({ appPort: echo.port, protocol: 'tcp' });
    const client = await clientSidecar({ upstreams: [{ subset: 'v1', ports: [inb(server)] }], protocol: 'tcp' });
    const payload = 'x'.repeat(1 << 20);
    const got = await tcpRoundTrip(out(client), payload);
    expect(got.length).toBe(payload.length);
    expect(got === payload).toBe(true);
    expect(echo.peers[0]).toBe('127.0.0.6');
    const metrics = await client.metrics.registry.getSingleMetricAsString('skein_tcp_connections_opened_total');
    expect(metrics).toContain('destination_service="outbound|9080|v1|reviews.shop.svc.cluster.local"');
  });
});
