/**
 * HTTP/2, gRPC (unary, server streaming, bidi, status mapping), WebSocket and config/cert changes
 * under live traffic, through a client sidecar → mTLS → server sidecar pair on loopback.
 */
import * as grpc from '@grpc/grpc-js';
import type http from 'node:http';
import http2 from 'node:http2';
import WebSocket, { WebSocketServer } from 'ws';
import { parseXfcc } from './core/xfcc';
import { Proxy } from './proxy';
import { request, startH2cEcho, startHttpEcho, type Echo } from './testing/apps';
import { useFixture } from './testing/fixture';
import { grpcClient, startGrpcEcho } from './testing/grpc';
import { TestIdentity } from './testing/identity';
import { waitFor } from './testing/wait';
import { clientId, clusterName, inboundConfig, outboundConfig, serverId, testProxyOptions, type InboundOptions, type OutboundOptions } from './testing/mesh';

jest.setTimeout(30_000);

const fx = useFixture();

async function pair(inbound: InboundOptions, outbound: Omit<OutboundOptions, 'upstreams'> = {}, serverIdentity = new TestIdentity(fx.ca.issue(serverId))): Promise<{ client: Proxy; server: Proxy; port: number; serverIdentity: TestIdentity }> {
  const server = new Proxy(inboundConfig(inbound), serverIdentity, testProxyOptions);
  await server.start();
  fx.defer(() => server.close());
  const client = new Proxy(outboundConfig({ ...outbound, upstreams: [{ subset: 'v1', ports: [server.listenerPort('virtualInbound')] }] }), new TestIdentity(fx.ca.issue(clientId)), testProxyOptions);
  await client.start();
  fx.defer(() => client.close());
  return { client, server, port: client.listenerPort('outbound_9080'), serverIdentity };
}

function h2get(port: number, path: string): Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':path': path, 'x-test': 'h2' });
    let body = '';
    let headers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: Buffer) => (body += c.toString()));
    stream.on('end', () => {
      session.close();
      resolve({ status: Number(headers[':status']), body, headers });
    });
    stream.on('error', reject);
    stream.end();
  });
}

describe('HTTP/2', () => {
  it('carries h2c from the app, h2 between sidecars, h2c to an h2 app', async () => {
    const app = await startH2cEcho('h2app');
    fx.defer(() => app.close());
    const { port } = await pair({ appPort: app.port, appProtocol: 'http2' });
    const res = await h2get(port, '/h2?x=1');
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as Echo;
    expect([echo.httpVersion, echo.path, echo.headers['x-test']]).toEqual(['2.0', '/h2?x=1', 'h2']);
    expect(parseXfcc(String(echo.headers['x-forwarded-client-cert'])).uri).toBe(clientId);
  });

  it('converts an HTTP/1.1 client to an h2c app, bodies both ways', async () => {
    const app = await startH2cEcho('h2app');
    fx.defer(() => app.close());
    const { port } = await pair({ appPort: app.port, appProtocol: 'http2' });
    const get = await request(port, { path: '/to-h2' });
    expect([get.status, (JSON.parse(get.body) as Echo).httpVersion, (JSON.parse(get.body) as Echo).path]).toEqual([200, '2.0', '/to-h2']);
    const post = await request(port, { method: 'POST', path: '/post', body: 'x'.repeat(100_000), headers: { 'content-type': 'text/plain' } });
    expect([post.status, (JSON.parse(post.body) as Echo).bodyBytes]).toEqual([200, 100_000]);
  });

  it('converts an h2c client to an HTTP/1.1 app', async () => {
    const app = await startHttpEcho('h1app');
    fx.defer(() => app.close());
    const { port } = await pair({ appPort: app.port });
    const res = await h2get(port, '/convert');
    expect([res.status, (JSON.parse(res.body) as Echo).httpVersion]).toEqual([200, '1.1']);
  });

  it('multiplexes h2 client requests over one upstream h2 connection', async () => {
    const app = await startHttpEcho('h1app');
    fx.defer(() => app.close());
    const { port, server } = await pair({ appPort: app.port });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h2get(port, `/m${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const listeners = await (await fetch(`http://127.0.0.1:${server.port('admin')}/listeners`)).json() as { activeConnections: number }[];
    expect(listeners[0]!.activeConnections).toBe(1);
  });

  it('carries HTTP/1.1 client requests over pooled keep-alive HTTP/1.1 connections between sidecars (ADR 0004)', async () => {
    const app = await startHttpEcho('h1app');
    fx.defer(() => app.close());
    const { port, server } = await pair({ appPort: app.port });
    const connections = async (): Promise<number> => ((await (await fetch(`http://127.0.0.1:${server.port('admin')}/listeners`)).json()) as { activeConnections: number }[])[0]!.activeConnections;
    await Promise.all(Array.from({ length: 5 }, () => request(port)));
    const afterFirst = await connections();
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(afterFirst).toBeLessThanOrEqual(5);
    for (let i = 0; i < 10; i++) expect((await request(port)).status).toBe(200);
    expect(await connections()).toBe(afterFirst); // sequential requests reuse the pool, open nothing new
    const echo = JSON.parse((await request(port, { path: '/v' })).body) as Echo;
    expect(echo.httpVersion).toBe('1.1');
  });
});

describe('gRPC', () => {
  async function grpcPair(): Promise<ReturnType<typeof grpcClient>> {
    const app = await startGrpcEcho();
    fx.defer(() => app.close());
    const { port } = await pair({ appPort: app.port, appProtocol: 'http2' });
    const client = grpcClient(port);
    fx.defer(() => client.close());
    return client;
  }

  it('unary: echoes the message; the server sees the caller identity', async () => {
    const client = await grpcPair();
    const { reply, caller } = await new Promise<{ reply: Buffer; caller: string }>((resolve, reject) => {
      let caller = '';
      const call = client.Echo(Buffer.from('ping'), (err: grpc.ServiceError | null, reply: Buffer) => (err ? reject(err) : resolve({ reply, caller })));
      (call as grpc.ClientUnaryCall).on('metadata', (md: grpc.Metadata) => (caller = String(md.get('caller')[0])));
    });
    expect(reply.toString()).toBe('ping');
    expect(parseXfcc(caller).uri).toBe(clientId);
  });

  it('server streaming and bidi streaming', async () => {
    const client = await grpcPair();
    const got = await new Promise<number[]>((resolve, reject) => {
      const out: number[] = [];
      const call = client.Repeat(Buffer.from([50])) as grpc.ClientReadableStream<Buffer>;
      call.on('data', (b: Buffer) => out.push(b[0]!));
      call.on('end', () => resolve(out));
      call.on('error', reject);
    });
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const chat = await new Promise<string[]>((resolve, reject) => {
      const out: string[] = [];
      const call = client.Chat() as grpc.ClientDuplexStream<Buffer, Buffer>;
      call.on('data', (b: Buffer) => {
        out.push(b.toString());
        if (out.length < 5) call.write(Buffer.from(`m${out.length}`));
        else call.end();
      });
      call.on('end', () => resolve(out));
      call.on('error', reject);
      call.write(Buffer.from('m0'));
    });
    expect(chat).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('passes the app\'s grpc-status through trailers, and maps proxy failures to UNAVAILABLE', async () => {
    const client = await grpcPair();
    const err = await new Promise<grpc.ServiceError>((resolve) => client.Fail(Buffer.from([grpc.status.PERMISSION_DENIED]), (e) => resolve(e!)));
    expect([err.code, err.details]).toEqual([grpc.status.PERMISSION_DENIED, 'requested failure']);

    const dead = new Proxy(outboundConfig({ upstreams: [{ subset: 'v1', ports: [1] }] }), new TestIdentity(fx.ca.issue(clientId)), testProxyOptions);
    await dead.start();
    fx.defer(() => dead.close());
    const c2 = grpcClient(dead.listenerPort('outbound_9080'));
    fx.defer(() => c2.close());
    const unavailable = await new Promise<grpc.ServiceError>((resolve) => c2.Echo(Buffer.from('x'), (e) => resolve(e!)));
    expect(unavailable.code).toBe(grpc.status.UNAVAILABLE);
  });
});

async function wsServer(): Promise<{ port: number; server: WebSocketServer; xfcc: string[] }> {
  const xfcc: string[] = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws, req) => {
    xfcc.push(String(req.headers['x-forwarded-client-cert']));
    ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
  });
  await new Promise<void>((r) => server.once('listening', () => r()));
  fx.defer(() => new Promise<void>((r) => {
    for (const c of server.clients) c.terminate();
    server.close(() => r());
  }));
  return { port: (server.address() as { port: number }).port, server, xfcc };
}

function openWs(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    fx.defer(() => ws.terminate());
  });
}
function roundTrip(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (m) => resolve(String(m)));
    ws.send(text);
  });
}

describe('WebSocket', () => {
  it('tunnels the Upgrade through the pair; the server sees the caller', async () => {
    const app = await wsServer();
    const { port } = await pair({ appPort: app.port });
    const ws = await openWs(port);
    for (let i = 0; i < 10; i++) expect(await roundTrip(ws, `hello ${i}`)).toBe(`hello ${i}`);
    expect(parseXfcc(app.xfcc[0]!).uri).toBe(clientId);
  });

  it('the switch (101) goes through the metadata exchange: the client never sees the header, the client sidecar labels the destination workload', async () => {
    const app = await wsServer();
    // An app that tries to pass itself off as another workload in its 101.
    app.server.on('headers', (headers) => headers.push('x-skein-peer-metadata: workload=forged,namespace=shop'));
    const { port, client } = await pair({ appPort: app.port });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
    fx.defer(() => ws.terminate());
    const switched = new Promise<http.IncomingMessage>((resolve, reject) => {
      ws.once('upgrade', resolve);
      ws.once('error', reject);
    });
    const open = new Promise((r) => ws.once('open', r));
    expect((await switched).headers['x-skein-peer-metadata']).toBeUndefined();
    await open;
    expect(await roundTrip(ws, 'hi')).toBe('hi');
    ws.close();
    await new Promise((r) => ws.once('close', r));
    // The tunnel is recorded when it ends.
    const tunnelSeries = async (): Promise<string> => (await client.metrics.registry.getSingleMetricAsString('skein_requests_total')).split('\n').filter((l) => l.includes('response_code="101"')).join('\n');
    let recorded = '';
    for (let i = 0; i < 500 && recorded === ''; i++) {
      recorded = await tunnelSeries();
      if (recorded === '') await new Promise((r) => setTimeout(r, 10));
    }
    expect(recorded).toMatch(/destination_workload="reviews"/);
    expect(recorded).not.toContain('forged');
  });

  it('keeps an open WebSocket across a certificate rotation; new connections use the new cert', async () => {
    const app = await wsServer();
    const { port, serverIdentity } = await pair({ appPort: app.port });
    const ws = await openWs(port);
    expect(await roundTrip(ws, 'before')).toBe('before');
    serverIdentity.set(fx.ca.issue(serverId, 2));
    expect(await roundTrip(ws, 'after')).toBe('after');
    const ws2 = await openWs(port);
    expect(await roundTrip(ws2, 'new')).toBe('new');
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('config updates under traffic', () => {
  it('moves traffic to a new route without failing a request', async () => {
    const v1 = await startHttpEcho('v1');
    const v2 = await startHttpEcho('v2');
    fx.defer(() => v1.close(), () => v2.close());
    const s1 = new Proxy(inboundConfig({ appPort: v1.port }), new TestIdentity(fx.ca.issue(serverId)), testProxyOptions);
    const s2 = new Proxy(inboundConfig({ appPort: v2.port }), new TestIdentity(fx.ca.issue(serverId)), testProxyOptions);
    await Promise.all([s1.start(), s2.start()]);
    fx.defer(() => s1.close(), () => s2.close());
    const upstreams = [{ subset: 'v1', ports: [s1.listenerPort('virtualInbound')] }, { subset: 'v2', ports: [s2.listenerPort('virtualInbound')] }];
    const to = (subset: string): OutboundOptions => ({ upstreams, routes: [{ match: {}, action: { kind: 'route', cluster: clusterName(subset) } }] });
    const client = new Proxy(outboundConfig(to('v1')), new TestIdentity(fx.ca.issue(clientId)), testProxyOptions);
    await client.start();
    fx.defer(() => client.close());
    const port = client.listenerPort('outbound_9080');
    const seen: string[] = [];
    const statuses: number[] = [];
    let stop = false;
    const deadline = Date.now() + 10_000;
    const load = (async () => {
      for (let i = 0; i < 2000 && !stop && Date.now() < deadline; i++) {
        const r = await request(port, { path: '/slow/5' });
        statuses.push(r.status);
        seen.push(String(r.headers['x-app']));
      }
    })();
    await waitFor('20 requests before the switch', () => seen.length >= 20);
    await client.applyConfig({ ...outboundConfig(to('v2')), version: 'outbound-2' });
    const switchedAt = seen.length;
    await waitFor('20 requests after the switch', () => seen.length >= switchedAt + 20);
    stop = true;
    await load;
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(seen.slice(-5)).toEqual(['v2', 'v2', 'v2', 'v2', 'v2']);
    expect(client.config.version).toBe('outbound-2');
  });

  it('rejects an invalid config and keeps serving the old one', async () => {
    const app = await startHttpEcho('v1');
    fx.defer(() => app.close());
    const { client, port } = await pair({ appPort: app.port });
    const bad = { ...outboundConfig({ upstreams: [{ subset: 'v1', ports: [1] }] }), routeConfigs: [] };
    await expect(client.applyConfig(bad)).rejects.toThrow(/unknown route configuration "9080"/);
    expect((await request(port)).status).toBe(200);
  });
});
