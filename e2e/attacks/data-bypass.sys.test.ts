/**
 * Adversarial suite, data path, part 1: ways past an AuthorizationPolicy DENY `/admin*` and past
 * the HTTP framing, tried against real sidecars (xDS mode, iptables capture, network namespaces)
 * in front of an app that logs every byte it receives. Each attack runs on the three ways in:
 * the attacker's own sidecar (outbound listener), the victim's inbound plaintext chain
 * (PERMISSIVE) and its inbound mTLS chain with a mesh certificate. The promise checked every
 * time: the app never parses a request for a path the policy denies.
 */
import http2 from 'node:http2';
import type net from 'node:net';
import tls from 'node:tls';
import { describeSystem } from '../support/system';
import { sleep } from '../harness/wait';
import { useMesh } from '../harness';
import type { TestCa } from '../../proxy/src/testing/certs';
import { AppLog, deniedRequests, dial, startAttackWorld, type AttackWorld } from './data-world';
import { collect, dataFrame, headersFrame, parseResponses, rawRequest, RawH2, responses, type RawResponse } from './wire';

const tools = ['ip', 'iptables', 'ss', 'setpriv', 'bash', 'openssl'];

/** Late bytes (a smuggled request would arrive right behind the first) get this long to show up in the app's log. */
const settleMs = 300;

describeSystem('data-path attacks (1): authorization and framing bypasses against real sidecars', () => {
  let w: AttackWorld;
  let app: AppLog;
  useMesh({
    setupTimeoutMs: 120_000,
    testTimeoutMs: 60_000,
    setup: async (m) => {
      w = await startAttackWorld(m);
      app = new AppLog(w.victimApp);
    },
  });

  /** The three ways into the victim, each a fresh connection from inside a pod. */
  const ways: { name: string; open: () => Promise<net.Socket>; host: () => string }[] = [
    { name: 'through the attacker\'s sidecar (outbound)', open: () => dial(w.relays.attacker, w.victimHost, 80), host: () => 'victim' },
    { name: 'to the victim\'s inbound, plaintext (PERMISSIVE)', open: () => dial(w.relays.outsider, w.victim.ip, 8080), host: () => `${w.victim.ip}:8080` },
    { name: 'to the victim\'s inbound, mTLS with a mesh certificate', open: () => meshTls(w, ['http/1.1']), host: () => `${w.victim.ip}:8080` },
  ];

  /** Writes `bytes` on a new connection and reads until `n` responses came back or the proxy closed it. */
  async function exchange(way: (typeof ways)[number], bytes: Buffer, n: number, timeoutMs = 5_000): Promise<{ responses: RawResponse[]; closed: boolean; raw: Buffer }> {
    const s = await way.open();
    try {
      const done = collect(s, timeoutMs, responses(n));
      s.write(bytes);
      const got = await done;
      return { responses: parseResponses(got.bytes), closed: got.closed, raw: got.bytes };
    } finally {
      s.destroy();
    }
  }

  /** What the app parsed since `app.mark()`, after late bytes had their chance. */
  async function appSaw(): Promise<{ line: string; headers: Record<string, string> }[]> {
    await sleep(settleMs);
    return app.requests();
  }

  describe.each(ways)('$name', (way) => {
    const get = (path: string, extra: string[] = []): Buffer => rawRequest([`GET ${path} HTTP/1.1`, `Host: ${way.host()}`, ...extra]);

    it.each([200, 404, 426])('an upgrade the app answers with %d stays HTTP: the request behind it is authorized again (403), the app never sees it', async (status) => {
      await app.mark();
      const upgrade = get(`/__upgrade/refuse/${status}`, ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']);
      const r = await exchange(way, Buffer.concat([upgrade, get(`/admin/upgrade-${status}`)]), 2);
      expect(r.responses.map((x) => x.status)).toEqual([status, 403]);
      const seen = await appSaw();
      expect(deniedRequests(seen)).toEqual([]);
      expect(seen.map((s) => s.line)).toEqual([`GET /__upgrade/refuse/${status} HTTP/1.1`]);
      // It went through the proxy's request path: trace context set, the caller's identity asserted by the proxy only.
      expect(seen[0]!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('Upgrade: h2c is stripped (with HTTP2-Settings): the app gets a plain request and the next one is authorized', async () => {
      await app.mark();
      const h2c = get('/plain', ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAAP__']);
      const r = await exchange(way, Buffer.concat([h2c, get('/admin/h2c')]), 2);
      expect(r.responses.map((x) => x.status)).toEqual([200, 403]);
      const seen = await appSaw();
      expect(seen.map((s) => s.line)).toEqual(['GET /plain HTTP/1.1']);
      expect(seen[0]!.headers.upgrade).toBeUndefined();
      expect(seen[0]!.headers['http2-settings']).toBeUndefined();
    });

    it('a WebSocket the app accepts (101) is tunnelled both ways', async () => {
      await app.mark();
      const s = await way.open();
      try {
        const got = collect(s, 5_000, (b) => b.includes('ping-through-tunnel'));
        s.write(get('/__upgrade/accept', ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']));
        await collect(s, 5_000, (b) => b.includes('\r\n\r\n'));
        s.write('ping-through-tunnel');
        const echoed = await got;
        expect(echoed.bytes.toString('latin1')).toContain('ping-through-tunnel');
      } finally {
        s.destroy();
      }
      expect((await appSaw()).map((x) => x.line)).toEqual(['GET /__upgrade/accept HTTP/1.1']);
    });

    it('WebSocket frames sent after a refused upgrade are refused as HTTP (400), never delivered', async () => {
      await app.mark();
      const upgrade = get('/__upgrade/refuse/426', ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']);
      // A masked text frame "GET /admin/ws" as a client would send right after its upgrade request.
      const payload = Buffer.from('GET /admin/ws HTTP/1.1\r\n\r\n', 'latin1');
      const mask = Buffer.from([1, 2, 3, 4]);
      const frameBytes = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
      const r = await exchange(way, Buffer.concat([upgrade, frameBytes]), 2);
      expect(r.responses.map((x) => x.status)).toEqual([426, 400]);
      expect((await appSaw()).map((x) => x.line)).toEqual(['GET /__upgrade/refuse/426 HTTP/1.1']);
    });

    it.each([
      ['Content-Length', (body: string) => [`Content-Length: ${body.length}`]],
      ['Transfer-Encoding', () => ['Transfer-Encoding: chunked']],
      ['Host', (body: string) => [`Content-Length: ${body.length}`]],
    ] as const)('Connection: %s does not strip the framing: a body that looks like a request stays a body', async (named, framing) => {
      await app.mark();
      const smuggled = `GET /admin/connection-${named} HTTP/1.1\r\nHost: victim\r\n\r\n`;
      const body = named === 'Transfer-Encoding' ? `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n` : smuggled;
      const req = rawRequest(['POST /upload HTTP/1.1', `Host: ${way.host()}`, `Connection: ${named}`, ...framing(smuggled)], body);
      const r = await exchange(way, req, 2, 3_000);
      expect(r.responses[0]?.status).toBe(200);
      const seen = await appSaw();
      expect(deniedRequests(seen)).toEqual([]);
      expect(seen.map((s) => s.line)).toEqual(['POST /upload HTTP/1.1']);
    });

    it.each([
      ['//admin/x', 'denied'],
      ['/./admin/x', 'denied'],
      ['/admin/../admin/x', 'denied'],
      ['/public/../admin/x', 'denied'],
      ['/%2e/admin/x', 'denied'],
      ['/%61dmin/x', 'denied'],
      ['/%41dmin/x', '/Admin/x'],
      ['/ADMIN/x', '/ADMIN/x'],
      ['/admin;a=b/x', 'denied'],
      ['/admin%3bx', 'denied'],
      ['\\admin\\x', 'denied'],
      ['/public/..;/admin/x', 400],
      ['/public/.%2e/admin/x', 'denied'],
      ['/%2Fadmin/x', '/%2Fadmin/x'],
      ['/%5Cadmin/x', '/%5Cadmin/x'],
      ['/%252e/admin/x', '/%252e/admin/x'],
      ['/admin%00/x', 400],
      ['/a%zz', 400],
      [`http://victim/admin/x`, 'denied'],
      ['/ok/..', '/'],
    ] as const)('path %s is normalized once, before routing and RBAC: %s', async (target, expected) => {
      await app.mark();
      const r = await exchange(way, get(target), 1);
      const seen = await appSaw();
      expect(deniedRequests(seen)).toEqual([]);
      if (expected === 'denied') {
        expect(r.responses[0]?.status).toBe(403);
        expect(seen).toEqual([]);
      } else if (typeof expected === 'number') {
        expect(r.responses[0]?.status).toBe(expected);
        expect(seen).toEqual([]);
      } else {
        expect(r.responses[0]?.status).toBe(200);
        expect(seen.map((s) => s.line)).toEqual([`GET ${expected} HTTP/1.1`]);
      }
    });

    it('Host confusion: a second Host header is refused; an absolute-form target is routed by its own authority', async () => {
      await app.mark();
      const dup = await exchange(way, rawRequest(['GET /x HTTP/1.1', `Host: ${way.host()}`, 'Host: evil.example']), 1);
      expect(dup.responses[0]?.status).toBe(400);
      const dup10 = await exchange(way, rawRequest(['GET /x HTTP/1.0', `Host: ${way.host()}`, 'Host: evil.example']), 1);
      expect(dup10.responses[0]?.status).toBe(400);
      expect(await appSaw()).toEqual([]);
    });

    it('malformed framing is answered 400 (never a silent close): bad chunk size, differing Content-Lengths, obs-fold', async () => {
      await app.mark();
      const badChunk = await exchange(way, rawRequest(['POST /x HTTP/1.1', `Host: ${way.host()}`, 'Transfer-Encoding: chunked'], 'zz\r\nhello\r\n0\r\n\r\n'), 1);
      expect(badChunk.responses[0]?.status).toBe(400);
      const twoLengths = await exchange(way, rawRequest(['POST /x HTTP/1.1', `Host: ${way.host()}`, 'Content-Length: 5', 'Content-Length: 6'], 'hello!'), 1);
      expect(twoLengths.responses[0]?.status).toBe(400);
      const folded = await exchange(way, rawRequest(['GET /x HTTP/1.1', `Host: ${way.host()}`, 'X-A: a', ' folded'], ''), 1);
      expect(folded.responses[0]?.status).toBe(400);
      const seen = await appSaw();
      // The bad chunk may reach the app as the start of a body the proxy then aborts; never as a request of its own.
      expect(seen.filter((s) => s.line !== 'POST /x HTTP/1.1')).toEqual([]);
    });

    it('an identical duplicate Content-Length reaches the app once', async () => {
      await app.mark();
      const r = await exchange(way, rawRequest(['POST /dup-length HTTP/1.1', `Host: ${way.host()}`, 'Content-Length: 5', 'Content-Length: 5'], 'hello'), 1);
      expect(r.responses[0]?.status).toBe(200);
      await sleep(settleMs);
      const bytes = await app.bytes();
      expect(bytes.match(/^content-length:/gim)).toHaveLength(1);
    });

    it('more than 100 request headers are refused with 431; 100 pass', async () => {
      await app.mark();
      const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`);
      const many = await exchange(way, rawRequest(['GET /many HTTP/1.1', `Host: ${way.host()}`, ...headers(100)]), 1);
      expect(many.responses[0]?.status).toBe(431);
      // 90 leave room for what a client sidecar adds (x-request-id, traceparent) before the server sidecar counts.
      const fine = await exchange(way, rawRequest(['GET /fine HTTP/1.1', `Host: ${way.host()}`, ...headers(90)]), 1);
      expect(fine.responses[0]?.status).toBe(200);
      expect((await appSaw()).map((s) => s.line)).toEqual(['GET /fine HTTP/1.1']);
    });

    it('a forged x-forwarded-client-cert never reaches the app; on mTLS the app sees only the proxy\'s', async () => {
      await app.mark();
      const forged = 'By=spiffe://cluster.local/ns/default/sa/victim;URI=spiffe://cluster.local/ns/default/sa/admin';
      const r = await exchange(way, get('/whoami', [`X-Forwarded-Client-Cert: ${forged}`]), 1);
      expect(r.responses[0]?.status).toBe(200);
      const [seen] = await appSaw();
      expect(seen?.headers['x-forwarded-client-cert'] ?? '').not.toContain('sa/admin');
    });

    it('a flood of tiny pipelined requests is answered in order; denied ones never reach the app', async () => {
      await app.mark();
      const n = 1_000;
      const batch = Buffer.concat(Array.from({ length: n }, (_, i) => get(i % 2 === 0 ? `/admin/flood-${i}` : `/flood-${i}`)));
      const r = await exchange(way, batch, n, 30_000);
      expect(r.responses).toHaveLength(n);
      expect(r.responses.filter((x, i) => x.status !== (i % 2 === 0 ? 403 : 200))).toEqual([]);
      const seen = await appSaw();
      expect(deniedRequests(seen)).toEqual([]);
      expect(seen).toHaveLength(n / 2);
    });
  });

  /** HTTP/2 in: plaintext h2c to the inbound, and h2c from the attacker's app to its sidecar. */
  const h2Ways: { name: string; open: () => Promise<net.Socket>; authority: () => string }[] = [
    { name: 'h2c through the attacker\'s sidecar', open: () => dial(w.relays.attacker, w.victimHost, 80), authority: () => 'victim' },
    { name: 'h2c to the victim\'s inbound', open: () => dial(w.relays.outsider, w.victim.ip, 8080), authority: () => `${w.victim.ip}:8080` },
  ];

  describe.each(h2Ways)('HTTP/2 → HTTP/1.1 downgrade, $name', (way) => {
    const base = (path: string, method = 'GET'): [string, string][] => [[':method', method], [':scheme', 'http'], [':path', path], [':authority', way.authority()]];

    /** Sends frames on a fresh raw h2 connection; resolves once `stream` was answered or reset (or the connection closed). */
    async function sendRaw(build: (h2: RawH2) => void, stream: number): Promise<RawH2> {
      const h2 = new RawH2(await way.open());
      build(h2);
      const deadline = Date.now() + 5_000;
      while (!h2.answered.has(stream) && !h2.resets.has(stream) && !h2.closed && Date.now() < deadline) await sleep(20);
      h2.socket.destroy();
      return h2;
    }

    // nghttp2 (as Node embeds it) drops a field with such bytes and serves the request without it;
    // the HTTP/1.1 serializer would refuse it anyway. Either way the bytes never reach the app.
    it.each([
      ['CR LF in a header value', [['x-a', 'b\r\nx-injected: 1']]],
      ['a NUL in a header value', [['x-a', 'b\u0000x-injected']]],
      ['a bare LF in a header value', [['x-a', 'b\nx-injected: 1\nGET /admin/lf HTTP/1.1']]],
      ['CR LF in a header name', [['x-a\r\nx-injected', '1']]],
    ] as const)('%s never reaches the app', async (_what, extra) => {
      await app.mark();
      const h2 = await sendRaw((c) => c.write(headersFrame(1, [...base('/inject'), ...extra])), 1);
      expect(h2.answered.has(1) || h2.resets.has(1) || h2.goaways.length > 0).toBe(true);
      const seen = await appSaw();
      expect(deniedRequests(seen)).toEqual([]);
      expect(seen.every((r) => r.headers['x-a'] === undefined)).toBe(true);
      expect(await app.bytes()).not.toContain('x-injected');
    });

    it.each([
      ['content-length: 0 with a body carrying a request', [['content-length', '0']]],
      ['transfer-encoding: chunked', [['transfer-encoding', 'chunked']]],
      ['a content-length shorter than the body', [['content-length', '3']]],
    ] as const)('TE/CL smuggling through the downgrade (%s) never yields a second request', async (_what, extra) => {
      await app.mark();
      const smuggled = '0\r\n\r\nGET /admin/h2-smuggled HTTP/1.1\r\nHost: victim\r\n\r\n';
      await sendRaw((c) => c.write(Buffer.concat([headersFrame(1, [...base('/h2-post', 'POST'), ...extra], false), dataFrame(1, smuggled, true)])), 1);
      const seen = await appSaw();
      expect(deniedRequests(seen)).toEqual([]);
      expect(seen.filter((s) => s.line !== 'POST /h2-post HTTP/1.1')).toEqual([]);
    });

    it('a body that looks like HTTP/1.1 framing stays one body', async () => {
      await app.mark();
      const smuggled = '0\r\n\r\nGET /admin/h2-body HTTP/1.1\r\nHost: victim\r\n\r\n';
      const h2 = await sendRaw((c) => c.write(Buffer.concat([headersFrame(1, base('/h2-body', 'POST'), false), dataFrame(1, smuggled, true)])), 1);
      expect(h2.answered.has(1)).toBe(true);
      const seen = await appSaw();
      expect(seen.map((s) => s.line)).toEqual(['POST /h2-body HTTP/1.1']);
    });

    it(':authority and a different Host header are refused (400); the app never sees either', async () => {
      await app.mark();
      const status = await h2Status(await way.open(), { ':path': '/authority', ':authority': way.authority(), host: 'evil.example' });
      expect(status).toBe(400);
      expect(await appSaw()).toEqual([]);
    });

    it('more than 100 headers reset the stream (as Envoy); the app never sees it', async () => {
      await app.mark();
      const headers: Record<string, string> = { ':path': '/h2-many', ':authority': way.authority() };
      for (let i = 0; i < 101; i++) headers[`x-h${i}`] = String(i);
      const status = await h2Status(await way.open(), headers);
      expect(status === undefined || status === 431).toBe(true);
      expect(await appSaw()).toEqual([]);
    });

    it.each([
      ['//admin/x', 403],
      ['/%61dmin/x', 403],
      ['/public/../admin/x', 403],
    ] as const)(':path %s is normalized before RBAC (%d)', async (path, expected) => {
      await app.mark();
      expect(await h2Status(await way.open(), { ':path': path, ':authority': way.authority() })).toBe(expected);
      expect(deniedRequests(await appSaw())).toEqual([]);
    });
  });

  it('TLS 1.2 with a CBC cipher is refused by the inbound; ECDHE with AES-GCM and TLS 1.3 are accepted', async () => {
    const attempt = async (options: tls.ConnectionOptions): Promise<string> => {
      try {
        const s = await meshTls(w, ['http/1.1'], options);
        const proto = s.getProtocol() ?? '';
        const cipher = s.getCipher().name;
        s.destroy();
        return `${proto} ${cipher}`;
      } catch (err) {
        return `refused: ${(err as Error).message}`;
      }
    };
    expect(await attempt({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384' })).toMatch(/^refused/);
    expect(await attempt({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256' })).toMatch(/^TLSv1\.2 ECDHE-(ECDSA|RSA)-AES128-GCM-SHA256$/);
    expect(await attempt({ minVersion: 'TLSv1.3' })).toMatch(/^TLSv1\.3 TLS_/);
  });
}, tools);

/** An mTLS connection straight to the victim's inbound with a certificate the mesh's CA signed (the outsider's identity). */
export async function meshTls(w: AttackWorld, alpn: string[], options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  // Issued before connecting: a ClientHello later than the listener's sniff timeout would be read as plaintext.
  const cert = (outsiderCert ??= w.meshCa.issue('spiffe://cluster.local/ns/legacy/sa/outsider'));
  const raw = await dial(w.relays.outsider, w.victim.ip, 8080);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ socket: raw, cert: cert.certChainPem, key: cert.privateKeyPem, ca: readTrust(w), ALPNProtocols: alpn, checkServerIdentity: () => undefined, ...options }, () => resolve(s));
    s.once('error', (err) => {
      raw.destroy();
      reject(err);
    });
  });
}

let outsiderCert: ReturnType<TestCa['issue']> | undefined;

function readTrust(w: AttackWorld): string {
  return w.meshCa.certPem;
}

/** One HTTP/2 request over `socket` with Node's client; the response status, or undefined if the stream was reset. */
function h2Status(socket: net.Socket, headers: http2.OutgoingHttpHeaders): Promise<number | undefined> {
  return new Promise((resolve) => {
    const session = http2.connect('http://victim', { createConnection: () => socket });
    session.on('error', () => undefined);
    const timer = setTimeout(() => finish(undefined), 5_000);
    const finish = (status: number | undefined): void => {
      clearTimeout(timer);
      session.destroy();
      resolve(status);
    };
    const req = session.request({ ':method': 'GET', ...headers });
    req.on('response', (h) => finish(Number(h[':status'])));
    req.on('error', () => finish(undefined));
    req.on('close', () => finish(undefined));
    req.end();
  });
}
