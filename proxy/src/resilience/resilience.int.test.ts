/**
 * Resilience through a real mTLS sidecar pair on loopback: apps that fail N times, hang, reset or
 * refuse connections, behind server sidecars, called through a client sidecar whose config carries
 * retry policies, per-try timeouts, outlier detection and breakers. Asserts what the caller sees
 * (status, body) and what the apps saw (how many attempts, with which body).
 */
import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import net from 'node:net';
import type { HashPolicy, ProxyConfig, RetryPolicy, Route } from '../config/model';
import type { AccessLogEntry } from '../http/forward';
import { Proxy } from '../proxy';
import { request } from '../testing/apps';
import { echoService, grpcClient } from '../testing/grpc';
import { useFixture } from '../testing/fixture';
import { TestIdentity } from '../testing/identity';
import { clientId, clusterName, inboundConfig, outboundConfig, serverId, testProxyOptions } from '../testing/mesh';
import { waitFor } from '../testing/wait';

jest.setTimeout(30_000);
const fx = useFixture();

interface Seen { method: string; url: string; body: string; headers: http.IncomingHttpHeaders }
type Behaviour = (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void;

/** An app whose n-th request (0-based) is answered by `behave`; records every request it saw. */
async function flakyApp(behave: Behaviour): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = seen.length;
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString(), headers: req.headers });
      behave(n, req, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fx.defer(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as net.AddressInfo).port, seen };
}

const ok = (res: http.ServerResponse, body = 'ok'): void => void res.end(body);
const fail = (res: http.ServerResponse, status = 503): void => {
  res.statusCode = status;
  res.end('failed');
};

async function sidecar(config: ProxyConfig, id: string, accessLog?: (e: AccessLogEntry) => void): Promise<Proxy> {
  const p = new Proxy(config, new TestIdentity(fx.ca.issue(id)), { ...testProxyOptions, accessLog });
  await p.start();
  fx.defer(() => p.close());
  return p;
}

/** Server sidecars in front of each app port; returns their inbound ports. */
async function servers(appPorts: number[], appProtocol?: 'http2'): Promise<number[]> {
  const out: number[] = [];
  for (const appPort of appPorts) out.push((await sidecar(inboundConfig({ appPort, appProtocol }), serverId)).listenerPort('virtualInbound'));
  return out;
}

interface ClientOptions {
  retry?: RetryPolicy;
  hashPolicy?: HashPolicy[];
  timeoutMs?: number;
  cluster?: Partial<ProxyConfig['clusters'][number]>;
}

async function client(ports: number[], o: ClientOptions, log?: AccessLogEntry[]): Promise<number> {
  const routes: Route[] = [{ match: { path: { prefix: '/' } }, action: { kind: 'route', cluster: clusterName('v1'), retryPolicy: o.retry, timeoutMs: o.timeoutMs, hashPolicy: o.hashPolicy } }];
  const config = outboundConfig({ upstreams: [{ subset: 'v1', ports, lbPolicy: 'round-robin' }], routes });
  Object.assign(config.clusters[0]!, o.cluster);
  const p = await sidecar(config, clientId, log ? (e) => log.push(e) : undefined);
  return p.listenerPort('outbound_9080');
}

/** A loopback port with nothing listening (connection refused). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const retry5xx: RetryPolicy = { retryOn: ['5xx'], numRetries: 2 };

describe('retries through a sidecar pair', () => {
  it('hide an endpoint that fails twice, then answers (GET)', async () => {
    const app = await flakyApp((n, _req, res) => (n < 2 ? fail(res) : ok(res, 'third time')));
    const port = await client(await servers([app.port]), { retry: retry5xx });
    const res = await request(port);
    expect(res).toMatchObject({ status: 200, body: 'third time' });
    expect(app.seen).toHaveLength(3);
  });

  it('give up after numRetries and pass the last response on (flag URX in the access log)', async () => {
    const app = await flakyApp((_n, _req, res) => fail(res));
    const log: AccessLogEntry[] = [];
    const port = await client(await servers([app.port]), { retry: retry5xx }, log);
    const res = await request(port);
    expect(res.status).toBe(503);
    expect(res.body).toBe('failed');
    expect(app.seen).toHaveLength(3);
    expect(log.at(-1)).toMatchObject({ status: 503, flags: 'URX', attempts: 3 });
  });

  it('resend a buffered request body intact (PUT is idempotent)', async () => {
    const app = await flakyApp((n, _req, res) => (n === 0 ? fail(res) : ok(res)));
    const port = await client(await servers([app.port]), { retry: retry5xx });
    const body = 'x'.repeat(10_000);
    const res = await request(port, { method: 'PUT', body, headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    expect(app.seen.map((s) => s.body.length)).toEqual([10_000, 10_000]);
  });

  it('never retry a body larger than the retry buffer', async () => {
    const app = await flakyApp((n, _req, res) => (n === 0 ? fail(res) : ok(res)));
    const port = await client(await servers([app.port]), { retry: retry5xx });
    const res = await request(port, { method: 'PUT', body: 'y'.repeat(200_000) });
    expect(res.status).toBe(503);
    expect(app.seen).toHaveLength(1);
  });

  it('do not retry a POST the app already processed (503), but do retry one that never reached it (connection refused)', async () => {
    const app = await flakyApp((n, _req, res) => (n === 0 ? fail(res) : ok(res)));
    const port = await client(await servers([app.port]), { retry: retry5xx });
    expect((await request(port, { method: 'POST', body: 'order' })).status).toBe(503);
    expect(app.seen).toHaveLength(1);

    const good = await flakyApp((_n, _req, res) => ok(res));
    const [goodInbound] = await servers([good.port]);
    const refused = await closedPort();
    const port2 = await client([refused, goodInbound!], { retry: { retryOn: ['connect-failure'], numRetries: 2 } });
    for (let i = 0; i < 4; i++) expect((await request(port2, { method: 'POST', body: 'order' })).status).toBe(200);
    expect(good.seen.map((s) => s.body)).toEqual(['order', 'order', 'order', 'order']);
  });

  it('a per-try timeout moves a hung request to another endpoint', async () => {
    const hung = await flakyApp(() => undefined);
    const good = await flakyApp((_n, _req, res) => ok(res, 'from good'));
    const port = await client(await servers([hung.port, good.port]), { retry: { retryOn: ['5xx'], numRetries: 1, perTryTimeoutMs: 300 } });
    for (let i = 0; i < 2; i++) expect(await request(port)).toMatchObject({ status: 200, body: 'from good' });
  });

  it('a per-try timeout with no retries left answers 504 UT', async () => {
    const hung = await flakyApp(() => undefined);
    const port = await client(await servers([hung.port]), { retry: { retryOn: ['reset'], numRetries: 0, perTryTimeoutMs: 200 }, timeoutMs: 5000 });
    const res = await request(port);
    expect(res.status).toBe(504);
    expect(res.headers['x-skein-response-flags']).toBe('UT');
  });

  it('an upstream reset is retried under `reset` (client sidecar straight to the app, as to a non-mesh service)', async () => {
    const app = await flakyApp((n, req, res) => (n === 0 ? req.socket.destroy() : ok(res, 'after reset')));
    const port = await client([app.port], { retry: { retryOn: ['reset'], numRetries: 1 }, cluster: { transport: { kind: 'plaintext' }, protocol: 'http1' } });
    expect(await request(port)).toMatchObject({ status: 200, body: 'after reset' });
  });

  it('behind a server sidecar an app reset arrives as 503 (flag UC from that sidecar), retried under 5xx as in Istio', async () => {
    const app = await flakyApp((n, req, res) => (n === 0 ? req.socket.destroy() : ok(res, 'after reset')));
    const port = await client(await servers([app.port]), { retry: { retryOn: ['reset'], numRetries: 1 } });
    expect((await request(port)).status).toBe(503);
    const port2 = await client(await servers([app.port]), { retry: retry5xx });
    expect(await request(port2)).toMatchObject({ status: 200, body: 'after reset' });
  });

  it('retriable status codes retry only the listed codes', async () => {
    const app = await flakyApp((n, _req, res) => (n === 0 ? fail(res, 429) : n === 1 ? fail(res, 500) : ok(res)));
    const port = await client(await servers([app.port]), { retry: { retryOn: ['retriable-status-codes'], retriableStatusCodes: [429], numRetries: 3 } });
    expect((await request(port)).status).toBe(500);
    expect(app.seen).toHaveLength(2);
  });
});

describe('outlier detection through a sidecar pair', () => {
  it('ejects an endpoint after consecutive 5xx; the rest of the traffic goes to the healthy one', async () => {
    const bad = await flakyApp((_n, _req, res) => fail(res, 500));
    const good = await flakyApp((_n, _req, res) => ok(res));
    const port = await client(await servers([bad.port, good.port]), {
      cluster: { outlierDetection: { consecutive5xx: 3, intervalMs: 60_000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 }, panicThresholdPercent: 0 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await request(port)).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(3);
    expect(bad.seen).toHaveLength(3);
    expect(good.seen).toHaveLength(17);
  });

  it('with every endpoint ejected and panic disabled, answers 503 UH', async () => {
    const bad = await flakyApp((_n, _req, res) => fail(res, 500));
    const port = await client(await servers([bad.port]), {
      cluster: { outlierDetection: { consecutive5xx: 2, intervalMs: 60_000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 100 }, panicThresholdPercent: 0 },
    });
    await request(port);
    await request(port);
    const res = await request(port);
    expect(res.status).toBe(503);
    expect(res.headers['x-skein-response-flags']).toBe('UH');
    expect(bad.seen).toHaveLength(2);
  });
});

describe('request identity', () => {
  it('the app gets an x-request-id and a W3C traceparent; a caller’s trace is continued', async () => {
    const app = await flakyApp((_n, _req, res) => ok(res));
    const port = await client(await servers([app.port]), {});
    await request(port);
    await request(port, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-request-id': 'caller-id' } });
    expect(app.seen[0]!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(app.seen[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(app.seen[1]!.headers['x-request-id']).toBe('caller-id');
    expect(app.seen[1]!.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });
});

describe('mirroring through a sidecar pair', () => {
  async function mirrored(percent: number, mirrorBehaviour: Behaviour): Promise<{ port: number; main: Awaited<ReturnType<typeof flakyApp>>; shadow: Awaited<ReturnType<typeof flakyApp>> }> {
    const main = await flakyApp((_n, _req, res) => ok(res, 'from main'));
    const shadow = await flakyApp(mirrorBehaviour);
    const [mainIn] = await servers([main.port]);
    const [shadowIn] = await servers([shadow.port]);
    const routes: Route[] = [{ match: {}, action: { kind: 'route', cluster: clusterName('v1'), mirrorPolicies: [{ cluster: clusterName('v2'), percent }] } }];
    const config = outboundConfig({ upstreams: [{ subset: 'v1', ports: [mainIn!] }, { subset: 'v2', ports: [shadowIn!] }], routes });
    const p = await sidecar(config, clientId);
    return { port: p.listenerPort('outbound_9080'), main, shadow };
  }

  it('sends a copy (with body) to the mirror with a -shadow authority and discards its answer', async () => {
    const { port, main, shadow } = await mirrored(100, (_n, _req, res) => fail(res, 500));
    const res = await request(port, { method: 'POST', body: 'payload', headers: { host: 'reviews:9080' } });
    expect(res).toMatchObject({ status: 200, body: 'from main' });
    await waitFor('the shadow copy', () => shadow.seen.length === 1);
    expect(shadow.seen[0]).toMatchObject({ method: 'POST', body: 'payload' });
    expect(shadow.seen[0]!.headers.host).toBe('reviews-shadow:9080');
    expect(main.seen[0]!.headers.host).toBe('reviews:9080');
  });

  it('a hanging mirror does not hold up the caller', async () => {
    const { port, shadow } = await mirrored(100, () => undefined);
    for (let i = 0; i < 3; i++) expect((await request(port)).status).toBe(200);
    await waitFor('the shadow copies', () => shadow.seen.length === 3);
  });

  it('mirrors nothing at 0 %', async () => {
    const { port, main, shadow } = await mirrored(0, (_n, _req, res) => ok(res));
    for (let i = 0; i < 3; i++) await request(port);
    expect(main.seen).toHaveLength(3);
    expect(shadow.seen).toHaveLength(0);
  });
});

describe('cookie session affinity through a sidecar pair', () => {
  it('generates the cookie when absent (Set-Cookie) and keeps a client with it on one endpoint', async () => {
    const apps = await Promise.all(['a', 'b', 'c'].map((name) => flakyApp((_n, _req, res) => ok(res, name))));
    const port = await client(await servers(apps.map((a) => a.port)), { hashPolicy: [{ cookie: { name: 'session', ttlMs: 3_600_000, path: '/' } }], cluster: { lbPolicy: 'ring-hash' } });
    const first = await request(port);
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^session="[0-9a-f]{16}"; Max-Age=3600; Path=\/; HttpOnly$/);
    const cookie = setCookie.split(';')[0]!;
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const r = await request(port, { headers: { cookie } });
      expect(r.headers['set-cookie']).toBeUndefined();
      bodies.add(r.body);
    }
    expect([...bodies]).toEqual([first.body]); // the generated value already chose the endpoint
  });
});

describe('active health checks through a sidecar pair', () => {
  it('an endpoint failing its health check gets no traffic until it passes again', async () => {
    let badHealthy = false;
    const bad = await flakyApp((_n, req, res) => (req.url === '/healthz' && !badHealthy ? fail(res) : ok(res, 'bad')));
    const good = await flakyApp((_n, _req, res) => ok(res, 'good'));
    const port = await client(await servers([bad.port, good.port]), {
      cluster: { healthCheck: { path: '/healthz', intervalMs: 50, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 2 }, panicThresholdPercent: 0 },
    });
    await request(port); // the first request starts the checks
    const probes = (app: typeof bad) => app.seen.filter((s) => s.url === '/healthz').length;
    await waitFor('two failed probes of the bad endpoint', () => probes(bad) >= 3);
    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) bodies.push((await request(port)).body);
    expect(bodies).toEqual(Array(10).fill('good'));
    expect(good.seen.find((s) => s.url === '/healthz')?.headers['user-agent']).toBe('skein-health-check');
    badHealthy = true;
    const before = probes(bad);
    await waitFor('two passed probes', () => probes(bad) >= before + 3);
    const after = new Set<string>();
    for (let i = 0; i < 10; i++) after.add((await request(port)).body);
    expect(after).toEqual(new Set(['bad', 'good']));
  });
});

describe('gRPC retries through a sidecar pair', () => {
  /** Echo fails with UNAVAILABLE `failures` times, then echoes; Fail answers the status it is asked for. */
  async function flakyGrpc(failures: number): Promise<{ port: number; calls: () => number }> {
    let calls = 0;
    const server = new grpc.Server();
    server.addService(echoService, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => (calls++ < failures ? cb({ code: grpc.status.UNAVAILABLE, details: 'warming up' }) : cb(null, call.request)),
      Repeat: (call: grpc.ServerWritableStream<Buffer, Buffer>) => call.end(),
      Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => call.end(),
      Fail: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        calls++;
        cb({ code: call.request.readUInt8(0), details: 'requested failure' });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    fx.defer(() => new Promise<void>((r) => server.tryShutdown(() => r())));
    return { port, calls: () => calls };
  }
  async function grpcThroughPair(appPort: number): Promise<ReturnType<typeof grpcClient>> {
    const port = await client(await servers([appPort], 'http2'), { retry: { retryOn: ['unavailable', 'cancelled'], numRetries: 2 } });
    const c = grpcClient(port);
    fx.defer(() => c.close());
    return c;
  }
  const unary = (c: ReturnType<typeof grpcClient>, method: 'Echo' | 'Fail', body: Buffer): Promise<{ err: grpc.ServiceError | null; reply?: Buffer }> =>
    new Promise((resolve) => c[method](body, (err, reply) => resolve({ err, reply })));

  it('UNAVAILABLE (trailers-only) is retried under retryOn unavailable', async () => {
    const app = await flakyGrpc(2);
    const c = await grpcThroughPair(app.port);
    const r = await unary(c, 'Echo', Buffer.from('ping'));
    expect(r.err).toBeNull();
    expect(r.reply?.toString()).toBe('ping');
    expect(app.calls()).toBe(3);
  });

  it('a code not listed (INVALID_ARGUMENT) is not retried', async () => {
    const app = await flakyGrpc(0);
    const c = await grpcThroughPair(app.port);
    const r = await unary(c, 'Fail', Buffer.from([grpc.status.INVALID_ARGUMENT]));
    expect(r.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(app.calls()).toBe(1);
  });
});
