/**
 * The data path's defences through a real sidecar pair on loopback (client sidecar → mTLS →
 * server sidecar with RBAC DENY `/admin*` → app): what must hold whatever the client sends. The
 * adversarial suite (e2e/attacks) tries the same and more against xDS-configured sidecars in
 * network namespaces; these run everywhere, and cover what that suite cannot wait for (the stream
 * idle timeout) or set (the connection manager's own knobs).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { HttpConnectionManager } from './config/model';
import type { AccessLogEntry } from './http/forward';
import { Proxy, type ProxyOptions } from './proxy';
import { rawExchange, startHttpEcho, type Echo } from './testing/apps';
import { useFixture } from './testing/fixture';
import { TestIdentity } from './testing/identity';
import { clientId, inboundConfig, outboundConfig, serverId, testProxyOptions } from './testing/mesh';

jest.setTimeout(30_000);
const fx = useFixture();

/** A sidecar pair; `edit` changes the client sidecar's HTTP connection manager. */
async function pair(edit: (hcm: HttpConnectionManager) => void = () => undefined, clientOptions: ProxyOptions = {}, appHandler?: 'hang'): Promise<{ port: number; server: Proxy; appSeen: () => string[] }> {
  const seen: string[] = [];
  const echo = await startHttpEcho('app');
  fx.defer(() => echo.close());
  // A raw front for the app that records each request line it receives (and can hang).
  const front = net.createServer((s) => {
    const up = net.connect(echo.port, '127.0.0.1');
    s.on('data', (c: Buffer) => {
      for (const line of c.toString('latin1').split('\r\n')) if (/^[A-Z]+ \S+ HTTP\/1\.1$/.test(line)) seen.push(line);
      if (appHandler !== 'hang') up.write(c);
    });
    up.pipe(s);
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
    s.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  fx.defer(() => new Promise<void>((r) => front.close(() => r())));
  const server = new Proxy(inboundConfig({ appPort: (front.address() as net.AddressInfo).port, mode: 'PERMISSIVE', rbac: { policies: [{ name: 'deny-admin', action: 'DENY', rules: [{ paths: ['/admin*'] }] }] } }), new TestIdentity(fx.ca.issue(serverId)), testProxyOptions);
  await server.start();
  fx.defer(() => server.close());
  const config = outboundConfig({ upstreams: [{ subset: 'v1', ports: [server.listenerPort('virtualInbound')], protocol: 'http1' }] });
  edit(config.listeners[0]!.filterChains[0]!.filter as HttpConnectionManager);
  const client = new Proxy(config, new TestIdentity(fx.ca.issue(clientId)), { ...testProxyOptions, ...clientOptions });
  await client.start();
  fx.defer(() => client.close());
  return { port: client.listenerPort('outbound_9080'), server, appSeen: () => [...seen] };
}

/** The echo app's JSON answer in a raw response (length-framed or a single chunk). */
const echoOf = (data: string): Echo => JSON.parse(data.slice(data.indexOf('{'), data.lastIndexOf('}') + 1)) as Echo;
const statuses = (data: string): number[] => [...data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

describe('the data path through a sidecar pair', () => {
  it('an upgrade the app refuses leaves the connection HTTP: the request behind it is authorized (403)', async () => {
    const p = await pair();
    const r = await rawExchange(p.port, 'GET /status/426 HTTP/1.1\r\nhost: r\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\nGET /admin/x HTTP/1.1\r\nhost: r\r\n\r\n', 2000);
    expect(statuses(r.data)).toEqual([426, 403]);
    expect(p.appSeen()).toEqual(['GET /status/426 HTTP/1.1']);
  });

  it('upgrades not configured are refused (403), CONNECT included; h2c is stripped', async () => {
    const p = await pair();
    const foo = await rawExchange(p.port, 'GET /x HTTP/1.1\r\nhost: r\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n', 1000);
    expect(statuses(foo.data)).toEqual([403]);
    const connect = await rawExchange(p.port, 'CONNECT evil.example:443 HTTP/1.1\r\nhost: evil.example:443\r\n\r\n', 1000);
    expect(statuses(connect.data)).toEqual([403]);
    const h2c = await rawExchange(p.port, 'GET /h2c HTTP/1.1\r\nhost: r\r\nconnection: upgrade, http2-settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAAQAAP__\r\n\r\n', 1000);
    expect(statuses(h2c.data)).toEqual([200]);
    const echo = echoOf(h2c.data);
    expect(echo.headers).not.toHaveProperty('upgrade');
    expect(echo.headers).not.toHaveProperty('http2-settings');
    expect(p.appSeen()).toEqual(['GET /h2c HTTP/1.1']);
  });

  it('Connection: Content-Length leaves the framing alone; a body that looks like a request stays a body', async () => {
    const p = await pair();
    const body = 'GET /admin/x HTTP/1.1\r\nhost: r\r\n\r\n';
    const r = await rawExchange(p.port, `POST /upload HTTP/1.1\r\nhost: r\r\nconnection: content-length\r\ncontent-length: ${body.length}\r\n\r\n${body}`, 1500);
    expect(statuses(r.data)).toEqual([200]);
    // One request reached the app, with the whole body (the front logs request-looking lines of bodies too).
    expect(echoOf(r.data)).toMatchObject({ method: 'POST', path: '/upload', bodyBytes: body.length });
  });

  it.each([['//admin/x'], ['/./admin/x'], ['/public/../admin/x'], ['/%61dmin/x'], ['\\admin\\x'], ['http://r/admin/x']])('%s is normalized before RBAC (403)', async (target) => {
    const p = await pair();
    const r = await rawExchange(p.port, `GET ${target} HTTP/1.1\r\nhost: r\r\n\r\n`, 1000);
    expect(statuses(r.data)).toEqual([403]);
    expect(p.appSeen()).toEqual([]);
  });

  it('follows the connection manager\'s path normalization: NONE leaves `//admin` alone (Istio NONE)', async () => {
    const p = await pair((h) => (h.pathNormalization = { rfc3986: false, mergeSlashes: false, escapedSlashes: 'keep' }));
    const r = await rawExchange(p.port, 'GET //admin/x HTTP/1.1\r\nhost: r\r\n\r\n', 1000);
    // The client sidecar forwards `//admin/x` as is; the server sidecar (default) still merges it and denies.
    expect(statuses(r.data)).toEqual([403]);
  });

  it.each([
    ['the connection manager\'s stream_idle_timeout', (h: HttpConnectionManager) => (h.streamIdleTimeoutMs = 200), {}],
    ['the proxy\'s default (--stream-idle-timeout)', () => undefined, { streamIdleTimeoutMs: 200 }],
  ] as const)('a request with no bytes either way for the stream idle timeout ends with 408 SI (%s); the upstream request is aborted', async (_what, edit, options) => {
    const p = await pair(edit, options, 'hang');
    const r = await rawExchange(p.port, 'POST /slow HTTP/1.1\r\nhost: r\r\ncontent-length: 100\r\n\r\nx', 3000);
    expect(r.data).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*x-skein-response-flags: SI\r\n/);
    expect(p.appSeen()).toEqual(['POST /slow HTTP/1.1']);
  });

  it.each([
    ['while the fault delay runs', 0],
    ['after the delay, once the request went upstream', 600],
  ])('a malformed chunked body %s is answered once: 400 DPE, one access-log entry', async (_when, waitMs) => {
    const log: AccessLogEntry[] = [];
    const p = await pair((h) => (h.httpFilters = [{ type: 'fault', fault: { delay: { fixedDelayMs: 300, percent: 100 } } }, ...(h.httpFilters ?? [{ type: 'router' as const }])]), { accessLog: (e) => log.push(e) });
    const s = net.connect(p.port, '127.0.0.1');
    fx.defer(() => void s.destroy());
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', () => undefined);
    s.write('POST /upload HTTP/1.1\r\nhost: r\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await new Promise((r) => setTimeout(r, waitMs));
    s.write('zz\r\n');
    await closed;
    expect(statuses(data)).toEqual([400]);
    expect(data).toMatch(/x-skein-response-flags: DPE\r\n/);
    expect(log.map((e) => [e.status, e.flags])).toEqual([[400, 'DPE']]);
  });

  it('TLS: the inbound refuses TLS 1.2 CBC suites and takes ECDHE AES-GCM; the client sidecar offers ECDHE AEAD suites only', async () => {
    const p = await pair();
    const port = p.server.listenerPort('virtualInbound');
    const cert = fx.ca.issue(clientId);
    const handshake = (ciphers: string): Promise<string> => new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, cert: cert.certChainPem, key: cert.privateKeyPem, ca: fx.ca.certPem, maxVersion: 'TLSv1.2', ciphers, checkServerIdentity: () => undefined }, () => {
        resolve(s.getCipher().name);
        s.destroy();
      });
      s.on('error', (e) => resolve(`refused: ${e.message}`));
    });
    expect(await handshake('ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-CCM8:AES128-GCM-SHA256')).toMatch(/^refused/);
    expect(await handshake('ECDHE-ECDSA-AES256-GCM-SHA384')).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
    // What the client sidecar offers: a TLS server that records the ClientHello's suites.
    const offered = await new Promise<string[]>((resolve) => {
      const spy = net.createServer((s) => s.once('data', (hello: Buffer) => {
        resolve(clientHelloSuites(hello));
        s.destroy();
      }));
      spy.listen(0, '127.0.0.1', async () => {
        fx.defer(() => new Promise<void>((r) => spy.close(() => r())));
        const client = new Proxy(outboundConfig({ upstreams: [{ subset: 'v1', ports: [(spy.address() as net.AddressInfo).port], protocol: 'http1' }] }), new TestIdentity(fx.ca.issue(clientId)), testProxyOptions);
        await client.start();
        fx.defer(() => client.close());
        void rawExchange(client.listenerPort('outbound_9080'), 'GET / HTTP/1.1\r\nhost: r\r\n\r\n', 500);
      });
    });
    // TLS 1.3's three, then ECDHE with AES-GCM / ChaCha20 (and the renegotiation SCSV).
    expect(offered.filter((c) => c !== '00ff')).toEqual(['1302', '1303', '1301', 'c02b', 'c02c', 'cca9', 'c02f', 'c030', 'cca8']);
  });
});

/** Cipher suite ids (hex) of a TLS ClientHello record. */
function clientHelloSuites(record: Buffer): string[] {
  let at = 5 + 4 + 2 + 32; // record header, handshake header, version, random
  at += 1 + record[at]!; // session id
  const len = record.readUInt16BE(at);
  const out: string[] = [];
  for (let i = 0; i < len; i += 2) out.push(record.readUInt16BE(at + 2 + i).toString(16).padStart(4, '0'));
  return out;
}
