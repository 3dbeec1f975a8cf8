/**
 * The echo servers and the client's requesters on loopback (no root needed): every protocol
 * round-trips, HTTP/1.1 and h2c share a port, and flaky policies show up in the client's report.
 */
import { parseClientArgs, requester } from './client';
import { steadyPolicy, type FlakyPolicy } from './flaky';
import { startGrpcEcho } from './grpc-echo';
import { startHttpEcho, type EchoListener } from './http-echo';
import { runLoad } from './load';
import { startTcpEcho } from './tcp-echo';

const identity = { name: 'web', version: 'v7', pod: 'web-0', namespace: 'shop' };
const host = '127.0.0.1';

async function load(argv: string[]) {
  const args = parseClientArgs(argv);
  const r = requester(args);
  try {
    return await runLoad(() => r.one(), args.limits, () => Date.now());
  } finally {
    r.close();
  }
}

async function withServer<T>(start: (port: number) => Promise<EchoListener>, body: (port: number) => Promise<T>): Promise<T> {
  const server = await start(0);
  try {
    return await body(server.port);
  } finally {
    await server.close();
  }
}

const http = (policy: FlakyPolicy = steadyPolicy) => (port: number) => startHttpEcho({ port, host, identity, policy });

describe('echo apps on loopback', () => {
  it('HTTP/1.1 and h2c on one port, with identity, path, headers and caller', async () => {
    await withServer(http(), async (port) => {
      const xfcc = 'Hash=1;URI=spiffe://cluster.local/ns/shop/sa/client';
      const h1 = await load(['http', `http://${host}:${port}/a?b=1`, '--header', `x-forwarded-client-cert:${xfcc}`]);
      expect(h1.first).toMatchObject({ ...identity, protocol: 'http/1.1', method: 'GET', path: '/a?b=1', callerSpiffeId: 'spiffe://cluster.local/ns/shop/sa/client', remoteAddress: host });
      const h2 = await load(['h2', `http://${host}:${port}/two`, '--count', '3', '--method', 'POST']);
      expect(h2).toMatchObject({ ok: 3, byVersion: { v7: 3 } });
      expect(h2.first).toMatchObject({ protocol: 'h2', method: 'POST', path: '/two', remoteAddress: host });
    });
  });

  it('answers with the status and delay a request asks for', async () => {
    await withServer(http(), async (port) => {
      const r = await load(['http', `http://${host}:${port}/`, '--header', 'x-echo-status:418']);
      expect(r).toMatchObject({ ok: 0, statuses: { 418: 1 }, errors: { 'HTTP 418': 1 } });
      const slow = await load(['http', `http://${host}:${port}/`, '--header', 'x-echo-delay-ms:2000', '--timeout', '100ms']);
      expect(slow.errors).toEqual({ 'timeout after 100 ms': 1 });
    });
  });

  it('WebSocket upgrade on the HTTP port', async () => {
    await withServer(http(), async (port) => {
      const r = await load(['ws', `ws://${host}:${port}/chat`, '--message', 'yo']);
      expect(r.first).toMatchObject({ protocol: 'ws', echo: 'yo', path: '/chat' });
    });
  });

  it('HTTP fails the first N with 503 when flaky', async () => {
    await withServer(http({ ...steadyPolicy, failFirst: 2 }), async (port) => {
      expect(await load(['http', `http://${host}:${port}/`, '--count', '4'])).toMatchObject({ ok: 2, failed: 2, statuses: { 503: 2, 200: 2 } });
    });
  });

  it('gRPC unary and streaming, with metadata; flaky → UNAVAILABLE', async () => {
    await withServer((port) => startGrpcEcho({ port, host, identity, policy: { ...steadyPolicy, failFirst: 1 } }), async (port) => {
      const unary = await load(['grpc', `${host}:${port}`, '--count', '2', '--header', 'x-user:alice', '--message', 'm']);
      expect(unary).toMatchObject({ ok: 1, failed: 1, statuses: { UNAVAILABLE: 1, OK: 1 } });
      expect(unary.first).toMatchObject({ protocol: 'grpc', echo: 'm', headers: { 'x-user': 'alice' }, remoteAddress: host });
      expect(await load(['grpc-stream', `${host}:${port}`])).toMatchObject({ ok: 1 });
    });
  });

  it('TCP greets and echoes; flaky resets the connection', async () => {
    await withServer((port) => startTcpEcho({ port, host, identity, policy: { ...steadyPolicy, failFirst: 1 } }), async (port) => {
      const r = await load(['tcp', `${host}:${port}`, '--count', '3', '--message', 'x'.repeat(100_000)]);
      expect(r).toMatchObject({ requests: 3, ok: 2, failed: 1, byVersion: { v7: 2 } });
    });
  });

  it('reports a refused connection as a failure, not a crash', async () => {
    const r = await load(['http', `http://${host}:1/`]);
    expect(r).toMatchObject({ ok: 0, failed: 1 });
    expect(r.firstError).toMatch(/ECONNREFUSED/);
  });
});
